"""The generic state machine: refusals name entity, state and act; tables are validated."""

from __future__ import annotations

from enum import StrEnum

import pytest

from frsgate.domain import DomainError, IllegalTransition, StateMachine


class Light(StrEnum):
    red = "red"
    green = "green"
    broken = "broken"


class Switch(StrEnum):
    go = "go"
    stop = "stop"


class Other(StrEnum):
    x = "x"


LIGHT: StateMachine[Light, Switch] = StateMachine(
    "light",
    Light,
    Switch,
    {(Light.red, Switch.go): Light.green, (Light.green, Switch.stop): Light.red},
)


def test_apply_follows_the_table() -> None:
    assert LIGHT.apply(Light.red, Switch.go) is Light.green
    assert LIGHT.apply(Light.green, Switch.stop) is Light.red


def test_refusal_is_a_domain_error_naming_everything() -> None:
    with pytest.raises(IllegalTransition) as caught:
        LIGHT.apply(Light.red, Switch.stop)
    error = caught.value
    assert isinstance(error, DomainError)
    assert (error.entity, error.state, error.act) == ("light", "red", "stop")
    assert error.legal_acts == ("go",)
    assert str(error) == "cannot stop a light in state 'red'; acts allowed in 'red': go"


def test_refusal_from_a_final_state_says_so() -> None:
    with pytest.raises(IllegalTransition, match=r"none \(final state\)"):
        LIGHT.apply(Light.broken, Switch.go)


def test_legal_acts_final_states_and_illegal_pairs() -> None:
    assert LIGHT.legal_acts(Light.red) == {Switch.go}
    assert LIGHT.final_states() == {Light.broken}
    illegal = set(LIGHT.illegal_pairs())
    assert len(illegal) == len(Light) * len(Switch) - len(LIGHT.transitions)
    assert (Light.red, Switch.stop) in illegal
    assert (Light.red, Switch.go) not in illegal


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        LIGHT.transitions[(Light.broken, Switch.go)] = Light.red  # type: ignore[index]


def test_foreign_state_or_act_in_a_table_fails_at_definition() -> None:
    with pytest.raises(TypeError, match="foreign state"):
        StateMachine("bad", Light, Switch, {(Light.red, Switch.go): Other.x})  # type: ignore[misc]
    with pytest.raises(TypeError, match="not a Switch"):
        StateMachine("bad", Light, Switch, {(Light.red, Other.x): Light.green})  # type: ignore[misc]
