"""FRS Gate: the accountable gateway for third-party facial recognition services.

Every use of a facial recognition service passes through it: a use policy enforced as code,
a tamper-evident ledger an outside auditor can verify, and the review queues the policy assigns.
It never matches faces itself; every candidate it relays is an investigative lead only.
"""

__version__ = "0.1.0"
