"""The client factory: response decoding (the sink reads a 5,000-item answer per bulk request)."""

from __future__ import annotations

import math

from logflow.config import load_settings
from logflow.sink.client import FastJsonSerializer, make_client


def test_both_json_media_types_are_decoded_by_the_fast_serializer() -> None:
    for environ in ({}, {"LOGFLOW_ELASTICSEARCH_PLAIN_MEDIA_TYPES": "true"}):
        client = make_client(load_settings(environ=environ).elasticsearch)
        serializers = client.transport.serializers.serializers
        assert isinstance(serializers["application/json"], FastJsonSerializer)
        assert isinstance(serializers["application/vnd.elasticsearch+json"], FastJsonSerializer)


def test_a_body_orjson_refuses_is_still_decoded() -> None:
    decoded = FastJsonSerializer().loads(b'{"took": 3, "value": NaN}')
    assert decoded["took"] == 3
    assert math.isnan(decoded["value"])
