"""GraphQL can't be made to burn CPU: limits checked in linear time, and a throttle.

The attack (issue 17): fragments that each spread the next one twice. ~1 KB of query; with
strawberry's own limiters every spread was walked again, 2**30 walks for 30 fragments.
"""

from __future__ import annotations

import pytest
from graphql import parse

from config.graphql_limits import measure_document

pytestmark = pytest.mark.django_db(transaction=True)


def fragment_chain(length: int, *, leaf: str = "id") -> str:
    """``query { listings { results { ...F0 } } }``, each fragment spreading the next twice."""
    fragments = [f"fragment F{n} on Listing {{ ...F{n + 1} ...F{n + 1} }}" for n in range(length)]
    fragments.append(f"fragment F{length} on Listing {{ {leaf} }}")
    return "query Chain { listings { results { ...F0 } } } " + " ".join(fragments)


def nodes(query: str) -> int:
    """Selections written in the document (fields, spreads, inline fragments)."""
    document = parse(query)
    count, stack = 0, [d.selection_set for d in document.definitions]
    while stack:
        for selection in stack.pop().selections:
            count += 1
            if getattr(selection, "selection_set", None) is not None:
                stack.append(selection.selection_set)
    return count


@pytest.mark.parametrize("length", [30, 300, 3000])
def test_measuring_a_fragment_chain_takes_steps_linear_in_its_size(length):
    query = fragment_chain(length)
    cost = measure_document(list(parse(query).definitions))
    # Each selection once, each fragment once more for the dependency order.
    assert cost.steps <= 2 * nodes(query) + length + 1
    assert cost.operations["Chain"].selections > 1000  # what it would have cost expanded


def test_the_measure_agrees_with_writing_the_fragments_out():
    cost = measure_document(list(parse(fragment_chain(4, leaf="a: id title")).definitions))
    # listings, results, then 2**4 copies of the leaf fragment's two fields.
    assert cost.operations["Chain"] == type(cost.operations["Chain"])(
        depth=2, aliases=16, selections=2 + 2 * 16)


def test_the_30_fragment_query_is_refused_at_once_over_http(production):
    query = fragment_chain(30)
    assert len(query) < 1500
    # The timeout only guards the test run: before the fix this request held a worker for
    # gunicorn's whole timeout (the validator had 2**30 spreads to walk).
    response = production.request("POST", "/graphql", json={"query": query}, timeout=20)
    body = response.json()
    assert "data" not in body or body["data"] is None
    assert "fields once its fragments are expanded" in body["errors"][0]["message"]


def test_graphql_is_throttled_like_the_rest_api(production):
    query = {"query": "{ listings { totalCount } }"}
    statuses = [production.request("POST", "/graphql", json=query).status_code
                for _ in range(61)]  # THROTTLE_ANON_RATE is 60/min
    assert statuses[:60] == [200] * 60
    refused = production.request("POST", "/graphql", json=query)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


def test_a_document_over_the_token_limit_is_refused_while_parsing(production):
    # 5,000 fields: under the 2.5 MB body limit, over GRAPHQL_MAX_TOKENS (2,000).
    query = "{ listings { results { " + "id " * 5000 + "} } }"
    body = production.request("POST", "/graphql", json={"query": query}).json()
    assert "token" in body["errors"][0]["message"].lower()
