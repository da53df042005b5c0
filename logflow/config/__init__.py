"""Configuration: one frozen, typed model (``sections``) read from a TOML file and ``LOGFLOW_*`` variables (``load``).

Precedence, lowest first: defaults, the TOML file (``--config`` or ``LOGFLOW_CONFIG``), environment
variables, explicit overrides. ``docs/configuration.md`` is generated from the model
(``python -m logflow.config.reference``); a test fails when it is stale.
"""

from logflow.config.load import ENV_PREFIX, env_name, load_settings, redacted, without_credentials
from logflow.config.sections import (
    SECTIONS,
    AnalyzeConfig,
    DecodeConfig,
    ElasticsearchConfig,
    EnrichConfig,
    EnrichRule,
    HealthConfig,
    KafkaConfig,
    KibanaConfig,
    LogConfig,
    MiningConfig,
    ParseConfig,
    RedactionConfig,
    RouteRule,
    RoutingConfig,
    Settings,
    WorkerConfig,
)

__all__ = [
    "ENV_PREFIX",
    "SECTIONS",
    "AnalyzeConfig",
    "DecodeConfig",
    "ElasticsearchConfig",
    "EnrichConfig",
    "EnrichRule",
    "HealthConfig",
    "KafkaConfig",
    "KibanaConfig",
    "LogConfig",
    "MiningConfig",
    "ParseConfig",
    "RedactionConfig",
    "RouteRule",
    "RoutingConfig",
    "Settings",
    "WorkerConfig",
    "env_name",
    "load_settings",
    "redacted",
    "without_credentials",
]
