"""TF-IDF families of templates."""

from __future__ import annotations

from logflow.analyze.clustering import cluster_templates


class TestClusterTemplates:
    def test_variants_of_one_message_form_one_family(self) -> None:
        """Connection-refused variants from different services land in one family."""
        families = cluster_templates(
            [
                "connection refused to <*>",
                "Connection refused (host <*>)",
                "connect failed: connection refused to db <*>",
                "payment authorized",
                "User <*> logged in",
            ]
        )
        assert families.labels[0] == families.labels[1] == families.labels[2]
        assert len({int(label) for label in families.labels}) == 3

    def test_key_names_alone_do_not_join_families(self) -> None:
        """Templates sharing only ``trace_id=<*>`` and a word each stay in separate families."""
        families = cluster_templates(
            [
                "checkout failed trace_id=<*>",
                "order <*> failed trace_id=<*>",
                "order <*> updated trace_id=<*>",
            ]
        )
        assert len({int(label) for label in families.labels}) == 3

    def test_a_message_unlike_all_others_has_a_low_nearest_similarity(self) -> None:
        """The nearest-template similarity of an unrelated message is below that of a near duplicate."""
        families = cluster_templates(
            [
                "stock reserved sku=<*> qty=<*>",
                "stock low sku=<*> remaining=<*>",
                "GC overhead limit exceeded after full collection",
            ]
        )
        assert families.nearest[2] < 0.1 < families.nearest[0]

    def test_labels_are_deterministic_and_in_order_of_appearance(self) -> None:
        """The first template's family is 0, the next new family 1, and so on."""
        texts = ["alpha beta", "gamma delta", "alpha beta gamma", "epsilon"]
        first = cluster_templates(texts)
        assert list(first.labels) == list(cluster_templates(texts).labels)
        assert first.labels[0] == 0

    def test_templates_without_words_are_their_own_families(self) -> None:
        """Templates made only of variables do not break the vectorizer."""
        families = cluster_templates(["<*> <*>", "<*>"])
        assert list(families.labels) == [0, 1]
