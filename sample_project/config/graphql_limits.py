"""Limits on what one GraphQL document may ask for, checked in time linear in its size.

strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` follow every fragment spread
into its fragment, again at each spread. A chain of fragments each spreading the next one
twice (``fragment F0 on T { ...F1 ...F1 }``, ``fragment F1 on T { ...F2 ...F2 }``…) is a
few hundred bytes, yet the walk visits 2**n spreads: 30 fragments cost hours of CPU in the
validator, before any limit is reached. This rule measures each fragment **once** and reuses
the result at every spread, so its work is proportional to the document (every selection
node visited once, plus one step per spread).

It checks three things, with the same messages as strawberry's limiters for the first two:

* **depth** — fields nested in fields, fragments followed (introspection fields don't count);
* **aliases** — renamed fields, counting a fragment's aliases at every spread of it;
* **selections** — how many fields the query asks for once every fragment is written out
  in place. The fragment chain above is small on the wire and enormous expanded: this is
  the number that says so (computed from per-fragment counts, never by expanding).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules

#: Counts stop growing here: a chain of n fragments expands to 2**n fields, and adding numbers
#: of n bits at every spread would make the check itself cost more than linear time.
SATURATED = 10**9


@dataclass
class Cost:
    """What a fragment or an operation asks for once its spreads are written out."""

    depth: int = 0
    aliases: int = 0
    selections: int = 0


@dataclass
class DocumentCost:
    """Per-operation costs of a document, and how many steps measuring it took."""

    operations: dict[str, Cost] = field(default_factory=dict)
    steps: int = 0


def _spreads(selection_set: SelectionSetNode | None) -> list[str]:
    """Names of the fragments spread anywhere inside ``selection_set`` (fields included)."""
    names, stack = [], [selection_set]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        for selection in current.selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            else:
                stack.append(selection.selection_set)
    return names


def measure_document(definitions: list) -> DocumentCost:
    """The cost of every operation in ``definitions``: one pass over the nodes, memoised.

    Fragments are measured in dependency order (a fragment after the ones it spreads), each
    by walking its own nodes once; a spread then costs one lookup. A spread of an unknown
    fragment, or one that closes a cycle, counts as nothing here: graphql-core's own rules
    (KnownFragmentNames, NoFragmentCycles) refuse those documents.
    """
    result = DocumentCost()
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    # Dependency order by an iterative depth-first search: no recursion, whatever the chain.
    order: list[str] = []
    state: dict[str, str] = {}
    for root in fragments:
        if root in state:
            continue
        state[root] = "open"
        stack = [(root, iter(_spreads(fragments[root].selection_set)))]
        while stack:
            name, pending = stack[-1]
            child = next(pending, None)
            result.steps += 1
            if child is None:
                stack.pop()
                state[name] = "done"
                order.append(name)
            elif child in fragments and child not in state:
                state[child] = "open"
                stack.append((child, iter(_spreads(fragments[child].selection_set))))
    costs: dict[str, Cost] = {}
    for name in order:
        costs[name] = _measure(fragments[name].selection_set, costs, result)
    for definition in definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else "anonymous"
            result.operations[name] = _measure(definition.selection_set, costs, result)
    return result


def _measure(selection_set: SelectionSetNode, costs: dict[str, Cost],
             result: DocumentCost) -> Cost:
    """The cost of one selection set, given the costs of the fragments it spreads."""
    cost = Cost()
    # (selection set, fields with selections around it, inside an introspection field?)
    stack: list[tuple[SelectionSetNode, int, bool]] = [(selection_set, 0, False)]
    while stack:
        current, level, introspection = stack.pop()
        for selection in current.selections:
            result.steps += 1
            if isinstance(selection, FragmentSpreadNode):
                spread = costs.get(selection.name.value, Cost())
                cost.aliases = min(cost.aliases + spread.aliases, SATURATED)
                cost.selections = min(cost.selections + spread.selections, SATURATED)
                if not introspection:
                    cost.depth = max(cost.depth, level + spread.depth)
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, level, introspection))
            elif isinstance(selection, FieldNode):
                cost.selections = min(cost.selections + 1, SATURATED)
                cost.aliases = min(cost.aliases + (selection.alias is not None), SATURATED)
                # Like strawberry's limiter: __schema, __type… are not counted for depth.
                inner = introspection or selection.name.value.startswith("__")
                if selection.selection_set is not None:
                    if not inner:
                        cost.depth = max(cost.depth, level + 1)
                    stack.append((selection.selection_set, level + 1, inner))
    return cost


def limits_rule(*, max_depth: int, max_aliases: int, max_selections: int,
                measured: Callable[[DocumentCost], None] | None = None) -> type[ValidationRule]:
    """A graphql-core validation rule refusing documents over the three limits."""

    class QueryLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            cost = measure_document(list(context.document.definitions))
            if measured is not None:
                measured(cost)
            for name, operation in cost.operations.items():
                if operation.depth > max_depth:
                    context.report_error(GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}"))
            aliases = min(sum(op.aliases for op in cost.operations.values()), SATURATED)
            if aliases > max_aliases:
                context.report_error(GraphQLError(
                    f"{aliases} aliases found. Allowed: {max_aliases}"))
            selections = min(sum(op.selections for op in cost.operations.values()), SATURATED)
            if selections > max_selections:
                many = f"over {SATURATED:,}" if selections == SATURATED else f"{selections:,}"
                context.report_error(GraphQLError(
                    f"The query asks for {many} fields once its fragments are expanded. "
                    f"Allowed: {max_selections}"))

    return QueryLimits


class QueryLimiter(AddValidationRules):
    """Depth, alias and size limits in one linear pass (replaces strawberry's two limiters)."""

    def __init__(self, *, max_depth: int, max_aliases: int, max_selections: int) -> None:
        super().__init__([limits_rule(max_depth=max_depth, max_aliases=max_aliases,
                                      max_selections=max_selections)])
