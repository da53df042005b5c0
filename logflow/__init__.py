"""logflow: a streaming log pipeline (Kafka -> parse -> enrich -> route -> Elasticsearch) and analyzer."""

__version__ = "0.1.0"


def compiled() -> bool:
    """Whether the per-event path runs as mypyc-compiled modules (a wheel build) rather than from sources.

    Wheels built where a C compiler is present compile it (hatch_build.py); editable installs never do.
    """
    from logflow.worker import processor

    return not processor.__file__.endswith(".py")
