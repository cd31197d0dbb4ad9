"""A jinja2 sandbox that bounds what a values template may build, so a template cannot exhaust memory or time.

Why: ``"{{ 'x' * 10**9 }}"`` in one team's values ran for 30 s and grew to 3.8 GiB before anything could report
it. jinja2's sandbox stops a template from reaching Python internals but lets it build values of any size. This
environment uses the sandbox's own hooks (``intercepted_binops``/``call_binop``, ``call``, ``finalize``, the
``filters`` table, ``code_generator_class``) to check every operation that can grow a value *before* it runs,
against the limits below (README: "Values templates", limits). A refused operation raises :class:`TemplateLimit`,
which the caller reports as RLC801 at the template's file:line. Each render gets a fresh :class:`Budget`.

What is bounded, and how:
- repetition (``*`` on strings, bytes and lists), ``+`` and ``~`` concatenation, ``%``/``format`` (widths included),
  ``join`` and the filters and string methods that grow text (``center``, ``indent``, ``wordwrap``,
  ``replace``, ``ljust``…): the size of the result is computed from the operands first, and refused over
  :data:`MAX_TEXT`; every built value is charged to the render's :data:`MAX_WORK`;
- integers: ``*``, ``**`` and ``+`` refuse results over :data:`MAX_INT_BITS` (checked before computing);
- time: every loop iteration, every call and every item a filter walks costs a step, at most :data:`MAX_STEPS`
  per render; ``range()`` is capped at :data:`MAX_RANGE` items (jinja2's own cap, reported as RLC801): nested
  loops, filters over every tenant inside a loop over every tenant and recursive macros are what this catches;
- output: the rendered text is streamed and refused past :data:`MAX_OUTPUT`, so a template appending in a loop
  stops at the cap instead of after building the whole text.
- ``random`` and ``lipsum`` are removed: compile output must be deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from string import Formatter
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from markupsafe import Markup

MAX_TEXT = 1024 * 1024
"""Characters in one value a template builds (a string, or a list/dict as text): 1 MiB, the size limit of a
whole input file, so a template never produces more than any file may hold."""
MAX_OUTPUT = MAX_TEXT
"""Characters one template renders to (one Helm value)."""
MAX_WORK = 16 * MAX_TEXT
"""Characters (or text-equivalent of list items) built in total by one render, intermediate values included:
bounds a loop that copies a large string again and again (16 MiB of copying takes milliseconds)."""
MAX_RANGE = 100_000
"""Items in one ``range()``: jinja2's own cap (``jinja2.sandbox.MAX_RANGE``), refused as RLC801 here."""
MAX_STEPS = 250_000
"""Loop iterations, calls, and items walked by filters in one render: a full ``range()`` walked a couple of times,
not a nest of loops (which is what makes time unbounded); at most a few tenths of a second."""
MAX_INT_BITS = 256
"""Bits of an integer a template computes: far beyond any port, size or count, far below ``10**10**9``."""

LOOP_FILTER = "relc loop"
"""The filter every ``{% for %}`` iterable is wrapped in to count steps (a space: no template can name it)."""

_SEQUENCES = (str, bytes, list, tuple)
"""What ``*`` repeats and ``+`` concatenates."""
_COLLECTIONS = (list, tuple, dict, set, frozenset, range)
"""What a filter walks item by item in Python (strings are walked by C code, and bounded by MAX_TEXT)."""
_GROWING_STR_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join"})
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_FORMAT_WIDTH = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d+)?[,_]?(?:\.(\d+))?")


class TemplateLimit(jinja2.TemplateError):
    """A template tried to build past one of the limits; ``message`` says which and how much."""


class Budget:
    """What one render has spent: steps (iterations and calls) and work (characters built)."""

    def __init__(self) -> None:
        self.steps = 0
        self.work = 0

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise TemplateLimit(f"the template runs more than {MAX_STEPS:,} loop iterations and calls")

    def charge(self, size: int, what: str) -> None:
        """Refuse ``what`` if it would be over :data:`MAX_TEXT` alone, or push the render past :data:`MAX_WORK`."""
        if size > MAX_TEXT:
            raise TemplateLimit(f"{what} would be {size:,} characters long (limit {MAX_TEXT:,})")
        self.work += size
        if self.work > MAX_WORK:
            raise TemplateLimit(f"the template builds more than {MAX_WORK:,} characters in total")


def text_size(value: object, limit: int = MAX_TEXT) -> int:
    """The length of ``str(value)`` (an upper estimate for containers), counted only up to ``limit`` + 1.

    Walks containers without converting them, so measuring a list of a million long strings costs at most
    ``limit`` characters' worth of visits.
    """
    total = 0
    stack: list[tuple[object, bool]] = [(value, False)]
    while stack:
        item, nested = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2 if nested and item.isprintable() else (4 * len(item) + 2 if nested else len(item))
        elif isinstance(item, dict):
            total += 2
            for key, val in item.items():
                total += 4
                stack.append((key, True))
                stack.append((val, True))
                if len(stack) > limit:
                    return limit + 1
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2
            for element in item:
                total += 2
                stack.append((element, True))
                if len(stack) > limit:
                    return limit + 1
        elif isinstance(item, int) and item.bit_length() > MAX_INT_BITS:
            total += item.bit_length() // 3  # decimal digits, roughly, without converting
        else:
            total += len(str(item))
        if total > limit:
            return limit + 1
    return total


def _int_bits(value: object) -> int:
    return value.bit_length() if isinstance(value, int) else 0


class _BoundedGenerator(CodeGenerator):
    """Routes ``~`` through :meth:`BoundedSandbox.concat` and wraps every loop's iterable in the step counter."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            literal = sum(len(data.data) for child in loop.body for data in child.find_all(nodes.TemplateData))
            loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [nodes.Const(literal)], [], None, None, lineno=loop.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.concat_bounded((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _WidthGuard(Formatter):
    """``str.format`` fields: a width or precision over :data:`MAX_TEXT` is refused before padding."""

    budget: Budget

    def format_field(self, value: Any, format_spec: str) -> Any:
        match = _FORMAT_WIDTH.match(format_spec)
        for number in match.groups() if match else ():
            if number is not None and int(number) > MAX_TEXT:
                raise TemplateLimit(f"format width {int(number):,} is over the limit of {MAX_TEXT:,} characters")
        self.budget.charge(text_size(value), "a formatted field")
        return super().format_field(value, format_spec)


class _Formatter(_WidthGuard, SandboxedFormatter):
    pass


class _EscapeFormatter(_WidthGuard, SandboxedEscapeFormatter):
    pass


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment + the limits above; call :meth:`render` (not ``Template.render``)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(optimized=False, finalize=self._finalize, **options)
        self.budget = Budget()
        self.globals.pop("lipsum", None)
        self.globals["range"] = self._range
        self.filters.pop("random", None)
        self.filters[LOOP_FILTER] = self._loop
        for name, guard in (
            ("center", self._center),
            ("indent", self._indent),
            ("wordwrap", self._wordwrap),
            ("replace", self._replace),
            ("format", self._format),
            ("join", self._join),
            ("batch", self._batch),
            ("slice", self._slice),
        ):
            self.filters[name] = _guarded(self.filters[name], guard)
        for name in ("string", "tojson", "pprint", "xmlattr", "urlencode", "urlize", "e", "escape", "forceescape"):
            self.filters[name] = _guarded(self.filters[name], self._text_input)
        for name, original in list(self.filters.items()):
            if name != LOOP_FILTER:
                self.filters[name] = _checked_result(original, self)

    def render(self, template: jinja2.Template, context: dict[str, Any]) -> str:
        """Render with a fresh budget, streaming, and refuse the output past :data:`MAX_OUTPUT` as it grows."""
        self.budget = Budget()
        pieces: list[str] = []
        length = 0
        for piece in template.generate(context):
            length += len(piece)
            if length > MAX_OUTPUT:
                raise TemplateLimit(f"the template renders more than {MAX_OUTPUT:,} characters")
            pieces.append(piece)
        return "".join(pieces)

    # --- hooks jinja2's sandbox calls ---------------------------------------------------------------------

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            self._check_repeat(left, right)
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if right > MAX_INT_BITS or right * (abs(left).bit_length() - 1) > MAX_INT_BITS:
                raise TemplateLimit(f"{left} ** {right} would be over {MAX_INT_BITS} bits")
        elif operator == "+":
            if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
                self.budget.charge(text_size(left) + text_size(right), "the concatenation")
        elif operator == "%" and isinstance(left, (str, bytes)):
            self._check_printf(left.decode("latin-1") if isinstance(left, bytes) else left, right)
        result = self.binop_table[operator](left, right)
        if _int_bits(result) > MAX_INT_BITS:
            raise TemplateLimit(f"an integer over {MAX_INT_BITS} bits ({operator})")
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Every call is a step; string methods that grow text are checked before they run."""
        __self.budget.step()
        wrapped = getattr(__obj, "__wrapped__", None)
        text, method = getattr(wrapped, "__self__", None), getattr(wrapped, "__name__", "")
        if isinstance(text, str) and method in ("format", "format_map"):
            return __self._str_format(text, method, args, kwargs)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, (str, bytes)) and getattr(__obj, "__name__", "") in _GROWING_STR_METHODS:
            args = __self._check_str_method(owner, __obj.__name__, args)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str):
            __self.budget.charge(len(result), "the call's result")
        return result

    def _finalize(self, value: Any) -> Any:
        """Every ``{{ expression }}``: its text counts against the work budget before ``str()`` builds it."""
        self.budget.charge(text_size(value), "the printed value")
        return value

    def concat_bounded(self, values: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``: measured first, then joined."""
        remaining = MAX_TEXT
        for value in values:
            remaining -= text_size(value, remaining)
            if remaining < 0:
                raise TemplateLimit(f"the '~' concatenation would be over {MAX_TEXT:,} characters")
        self.budget.charge(MAX_TEXT - remaining, "the '~' concatenation")
        return "".join(str(v) for v in values)

    # --- checks -------------------------------------------------------------------------------------------

    def _range(self, *args: int) -> range:
        """jinja2's ``range`` (at most :data:`MAX_RANGE` items), refused with a limit message rather than an
        OverflowError."""
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateLimit(f"range() of {len(numbers):,} items (limit {MAX_RANGE:,})")
        return numbers

    def _loop(self, iterable: Iterable[Any], literal: int) -> Iterator[Any]:
        for item in iterable:
            self.budget.step()
            if literal:
                self.budget.charge(literal, "the loop's text")
            yield item

    def _check_repeat(self, left: Any, right: Any) -> None:
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, _SEQUENCES) and isinstance(count, int) and not isinstance(count, bool):
                if count > 0:
                    flat = isinstance(sequence, (str, bytes))
                    one = len(sequence) if flat else text_size(sequence, MAX_TEXT // count + 1)
                    size = one * count
                    kind = "string" if flat else "list"
                    self.budget.charge(size, f"the repetition ({kind} of length {len(sequence):,}, {count:,} times)")
                return
        if _int_bits(left) + _int_bits(right) > MAX_INT_BITS + 1:
            raise TemplateLimit(f"a product of integers would be over {MAX_INT_BITS} bits")

    def _check_printf(self, text: str, args: Any) -> None:
        values = list(args) if isinstance(args, tuple) else [args]
        numbers = iter(v for v in values if isinstance(v, int))
        size = len(text) + text_size(args)
        for star_or_width, star_or_precision, _ in _PRINTF.findall(text):
            for part in (star_or_width, star_or_precision):
                width = next(numbers, 0) if part == "*" else int(part or 0)
                size += abs(width)
        self.budget.charge(size, "the '%' formatting")

    def _str_format(self, text: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        formatter = _EscapeFormatter(self, escape=text.escape) if isinstance(text, Markup) else _Formatter(self)
        formatter.budget = self.budget
        if method == "format_map":
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one positional argument")
            return self._str_format(text, "format", (), args[0])
        result = type(text)(formatter.vformat(text, args, kwargs))
        self.budget.charge(len(result), "the formatted text")
        return result

    def _check_str_method(self, text: str | bytes, method: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Refuses a growing str/bytes method over the limits; returns its arguments (``join``'s materialised)."""
        if method in ("center", "ljust", "rjust", "zfill"):
            width = args[0] if args and isinstance(args[0], int) else 0
            self.budget.charge(max(len(text), width), f"str.{method}")
        elif method == "expandtabs":
            tab = args[0] if args and isinstance(args[0], int) else 8
            tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
            self.budget.charge(len(text) + tabs * max(tab, 0), "str.expandtabs")
        elif method == "replace" and len(args) >= 2 and all(isinstance(a, type(text)) for a in args[:2]):
            old: Any = args[0]
            new: Any = args[1]
            found = len(text) + 1 if not old else text.count(old)
            if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
                found = min(found, args[2])
            self.budget.charge(len(text) + found * max(len(new) - len(old), 0), "str.replace")
        elif method == "join" and args:
            return (self._join(args[0], text), *args[1:])
        return args

    def _batch(self, value: Any, linecount: Any = 1, fill_with: Any = None, *args: Any, **kwargs: Any) -> None:
        """``batch(n, fill)`` pads the last batch to ``n`` items."""
        if fill_with is not None and isinstance(linecount, int):
            self.budget.charge(linecount * 2, "batch's padding")

    def _slice(self, value: Any, slices: Any = 1, *args: Any, **kwargs: Any) -> None:
        """``slice(n)`` builds ``n`` lists, even from an empty value."""
        if isinstance(slices, int):
            self.budget.charge(slices * 2, "slice's lists")

    def _text_input(self, value: Any, *args: Any, **kwargs: Any) -> None:
        self.budget.charge(text_size(value), "the filter's input as text")

    def _center(self, value: Any, width: int = 80, *args: Any, **kwargs: Any) -> None:
        self.budget.charge(max(text_size(value), width if isinstance(width, int) else 0), "center")

    def _indent(self, s: Any, width: int | str = 4, *args: Any, **kwargs: Any) -> None:
        text = str(s) if text_size(s) <= MAX_TEXT else ""
        pad = len(width) if isinstance(width, str) else max(width, 0) if isinstance(width, int) else 0
        self.budget.charge(text_size(s) + (text.count("\n") + 1) * pad, "indent")

    def _wordwrap(
        self,
        s: Any,
        width: int = 79,
        break_long_words: bool = True,
        wrapstring: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        wrap = kwargs.get("wrapstring", wrapstring)
        size = text_size(s)
        self.budget.charge(size + (size + 1) * len(wrap if isinstance(wrap, str) else "\n"), "wordwrap")

    def _replace(self, s: Any, old: Any = "", new: Any = "", count: Any = None, *args: Any, **kwargs: Any) -> None:
        text = str(s) if text_size(s) <= MAX_TEXT else None
        if text is None:
            raise TemplateLimit(f"replace on a value over {MAX_TEXT:,} characters")
        old_text, new_text = str(old), str(new)
        found = len(text) + 1 if not old_text else text.count(old_text)
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        self.budget.charge(len(text) + found * max(len(new_text) - len(old_text), 0), "replace")

    def _format(self, value: Any, *args: Any, **kwargs: Any) -> None:
        self._check_printf(str(value), kwargs or args)

    def _join(self, value: Any, d: Any = "", *args: Any, **kwargs: Any) -> list[Any]:
        """Measures the items (materialised: a generator such as ``map()`` is read once) and returns them."""
        items = list(value) if isinstance(value, Iterable) else [value]
        remaining = MAX_TEXT - max(len(items) - 1, 0) * len(str(d))
        for item in items:
            remaining -= len(item) if type(item) is str else text_size(item, max(remaining, 0))
            if remaining < 0:
                raise TemplateLimit(f"join would be over {MAX_TEXT:,} characters")
        self.budget.charge(MAX_TEXT - remaining, "join")
        return items


def _guarded(original: Callable[..., Any], guard: Callable[..., object]) -> Callable[..., Any]:
    """``original`` with ``guard`` run on its arguments first (jinja2's pass_* marker kept: that first argument
    goes to the filter, not to the guard). A guard returning a list replaces the filtered value with it."""
    passes = getattr(original, "jinja_pass_arg", None)

    def filter_(*args: Any, **kwargs: Any) -> Any:
        head, rest = (args[:1], args[1:]) if passes else ((), args)
        value = guard(*rest, **kwargs)
        if isinstance(value, list) and rest:
            rest = (value, *rest[1:])
        return original(*head, *rest, **kwargs)

    if passes is not None:
        filter_.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return filter_


def _checked_result(original: Callable[..., Any], env: BoundedSandbox) -> Callable[..., Any]:
    """Every filter is a step, plus one per item of the collection it filters (``map``, ``select``, ``sum``, …
    walk it in Python: a filter over 10,000 tenants inside a 10,000-tenant loop is 10^8 steps, refused), and a
    text result counts against the budget."""
    passes = getattr(original, "jinja_pass_arg", None)

    def filter_(*args: Any, **kwargs: Any) -> Any:
        value = args[1] if passes and len(args) > 1 else args[0] if args and not passes else None
        env.budget.step(1 + (len(value) if isinstance(value, _COLLECTIONS) else 0))
        result = original(*args, **kwargs)
        if isinstance(result, str):
            env.budget.charge(len(result), "the filter's result")
        return result

    if passes is not None:
        filter_.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return filter_
