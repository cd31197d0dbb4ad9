"""Templates.uses tells which context variables values templates read, so costly ones are built only on demand."""

from __future__ import annotations

from compiler.render.templating import Templates


def test_uses_finds_variables_in_nested_values() -> None:
    templates = Templates()
    values = {"a": ["plain", {"b": "{{ tenants | length }}"}], "c": "{{ instance.name }}"}
    assert templates.uses(values, "tenants")
    assert templates.uses(values, "instance")
    assert not templates.uses(values, "candidate")


def test_plain_strings_and_loop_variables_are_not_uses() -> None:
    templates = Templates()
    assert not templates.uses({"a": "tenants", "b": 3}, "tenants")
    assert not templates.uses("{% for tenants in [1] %}{{ tenants }}{% endfor %}", "tenants")


def test_a_syntax_error_is_left_to_rendering() -> None:
    assert not Templates().uses("{{ tenants ", "tenants")
