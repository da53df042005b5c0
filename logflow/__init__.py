"""logflow: a streaming log pipeline (Kafka -> parse -> enrich -> route -> Elasticsearch) and analyzer."""

__version__ = "0.1.0"
