"""A generic finite state machine built from an explicit transition table.

Each entity with a lifecycle declares its table as a literal dict ``{(state, act): next_state}``
next to the entity, so the whole lifecycle is visible in one place and tests can enumerate every
legal and every illegal pair from the same table. Anything not in the table is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Generic, TypeVar

from frsgate.domain.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class StateMachine(Generic[S, A]):
    """States `S`, acts `A` and the only transitions allowed between them."""

    __slots__ = ("_by_state", "acts", "entity", "states", "transitions")

    def __init__(
        self,
        entity: str,
        states: type[S],
        acts: type[A],
        transitions: Mapping[tuple[S, A], S],
    ) -> None:
        for (state, act), target in transitions.items():
            # A typo in a table must fail at import, not at the first request.
            if not isinstance(state, states) or not isinstance(target, states):
                raise TypeError(f"{entity}: {state!r} -> {target!r} uses a foreign state")
            if not isinstance(act, acts):
                raise TypeError(f"{entity}: act {act!r} is not a {acts.__name__}")
        self.entity = entity
        self.states = states
        self.acts = acts
        self.transitions: Mapping[tuple[S, A], S] = MappingProxyType(dict(transitions))
        by_state: dict[S, set[A]] = {s: set() for s in states}
        for state, act in self.transitions:
            by_state[state].add(act)
        self._by_state = {s: frozenset(a) for s, a in by_state.items()}

    def apply(self, state: S, act: A) -> S:
        """The state after `act`, or `IllegalTransition` naming the state and the act."""
        try:
            return self.transitions[(state, act)]
        except KeyError:
            raise IllegalTransition(
                self.entity, state, act, self._by_state.get(state, frozenset())
            ) from None

    def can(self, state: S, act: A) -> bool:
        return (state, act) in self.transitions

    def legal_acts(self, state: S) -> frozenset[A]:
        return self._by_state.get(state, frozenset())

    def final_states(self) -> frozenset[S]:
        """States from which no act leads anywhere."""
        return frozenset(s for s, acts in self._by_state.items() if not acts)

    def illegal_pairs(self) -> Iterator[tuple[S, A]]:
        """Every (state, act) the table does not allow: what tests must see refused."""
        for state in self.states:
            for act in self.acts:
                if (state, act) not in self.transitions:
                    yield state, act
