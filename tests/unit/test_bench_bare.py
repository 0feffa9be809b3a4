"""The bench's floor: one route answering a fixed <Gather><Say>, the same bytes every time."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bench.bare import PROMPTS, create_bare_app


def test_the_floor_answers_a_gather_of_says_built_once() -> None:
    client = create_bare_app().test_client()
    first, second = client.post("/"), client.post("/", data={"Digits": "1"})
    assert first.status_code == 200
    assert first.mimetype == "text/xml"
    assert first.data == second.data
    gather = ET.fromstring(first.data).find("Gather")
    assert gather is not None
    assert [say.text for say in gather.findall("Say")] == list(PROMPTS)
