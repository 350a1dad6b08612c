"""FRS connectors: the one protocol, the HTTP connector and the sandbox FRS."""
