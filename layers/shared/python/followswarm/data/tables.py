"""Table definitions derived from the models, and binding the models to a stage.

The CDK data stack and the local runtime both create tables from :func:`table_specs`, so the
keys and indexes are written once, in ``models.py``.

    >>> specs = table_specs(Settings.for_stage("dev"))
    >>> specs["edges"].partition_key
    KeyAttribute(name='pk', type='S')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from followswarm.data.models import ALL_MODELS, SwarmModel
from followswarm.settings import TABLE_LOGICAL_NAMES, Settings


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: str  # "S" | "N" | "B"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    projection: str  # "ALL" | "KEYS_ONLY"


@dataclass(frozen=True)
class TableSpec:
    logical_name: str
    table_name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None

    def create_table_kwargs(self) -> dict[str, object]:
        """Arguments for boto3's ``create_table`` (on-demand, as the CDK stack creates it)."""
        keys = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        attributes = {k.name: k.type for k in keys}
        for index in self.indexes:
            attributes[index.partition_key.name] = index.partition_key.type
            if index.sort_key:
                attributes[index.sort_key.name] = index.sort_key.type
        kwargs: dict[str, object] = {
            "TableName": self.table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
            "AttributeDefinitions": [
                {"AttributeName": n, "AttributeType": t} for n, t in sorted(attributes.items())
            ],
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": i.name,
                    "KeySchema": _key_schema(i.partition_key, i.sort_key),
                    "Projection": {"ProjectionType": i.projection},
                }
                for i in self.indexes
            ]
        return kwargs


def _key_schema(pk: KeyAttribute, sk: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
    return schema


#: Powertools idempotency keeps its own table with its own fixed key names.
IDEMPOTENCY_PARTITION_KEY = KeyAttribute("id", "S")
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"


def _model_keys(model: type[SwarmModel]) -> tuple[KeyAttribute, KeyAttribute | None]:
    pk: KeyAttribute | None = None
    sk: KeyAttribute | None = None
    for name, attribute in model.get_attributes().items():
        if attribute.is_hash_key:
            pk = KeyAttribute(attribute.attr_name or name, attribute.attr_type)
        elif attribute.is_range_key:
            sk = KeyAttribute(attribute.attr_name or name, attribute.attr_type)
    if pk is None:
        raise ValueError(f"{model.__name__} has no hash key")
    return pk, sk


def _model_indexes(model: type[SwarmModel]) -> tuple[IndexSpec, ...]:
    specs = []
    for index in model._indexes.values():
        index_pk: KeyAttribute | None = None
        index_sk: KeyAttribute | None = None
        for name, attribute in index.Meta.attributes.items():
            if attribute.is_hash_key:
                index_pk = KeyAttribute(attribute.attr_name or name, attribute.attr_type)
            elif attribute.is_range_key:
                index_sk = KeyAttribute(attribute.attr_name or name, attribute.attr_type)
        assert index_pk is not None
        specs.append(
            IndexSpec(
                name=index.Meta.index_name,
                partition_key=index_pk,
                sort_key=index_sk,
                projection=index.Meta.projection.projection_type,
            )
        )
    return tuple(specs)


def models_by_table() -> dict[str, list[type[SwarmModel]]]:
    grouped: dict[str, list[type[SwarmModel]]] = {name: [] for name in TABLE_LOGICAL_NAMES}
    for model in ALL_MODELS:
        grouped[model.logical_table].append(model)
    return grouped


def table_specs(settings: Settings) -> dict[str, TableSpec]:
    """Every table of a stage, by logical name, derived from the models."""
    names = settings.table_names()
    specs: dict[str, TableSpec] = {}
    for logical, models in models_by_table().items():
        if logical == "idempotency":
            specs[logical] = TableSpec(
                logical,
                names[logical],
                IDEMPOTENCY_PARTITION_KEY,
                ttl_attribute=IDEMPOTENCY_TTL_ATTRIBUTE,
            )
            continue
        if not models:
            raise ValueError(f"table {logical} has no model")
        keys = {_model_keys(m) for m in models}
        if len(keys) != 1:
            raise ValueError(f"models sharing table {logical} disagree on keys: {keys}")
        pk, sk = keys.pop()
        indexes = tuple(i for m in models for i in _model_indexes(m))
        ttls = {m.ttl_attribute for m in models if m.ttl_attribute}
        if len(ttls) > 1:
            raise ValueError(f"models sharing table {logical} disagree on TTL: {ttls}")
        specs[logical] = TableSpec(
            logical, names[logical], pk, sk, indexes, ttls.pop() if ttls else None
        )
    return specs


def bind_models(settings: Settings) -> None:
    """Point every model at this stage's tables (and the local endpoint, if any)."""
    names = settings.table_names()
    for model in ALL_MODELS:
        meta: Any = model.Meta
        meta.table_name = names[model.logical_table]
        meta.region = settings.aws_region
        meta.host = settings.aws_endpoint_url
        # pynamodb caches the connection with the old table name and host.
        model._connection = None
        for index in model._indexes.values():
            index.Meta.model = model
