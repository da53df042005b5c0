"""Tests for logflow.mining.masking: keys, shapes and each variable kind."""

from __future__ import annotations

import random
import re

import pytest

from logflow.mining import masking
from logflow.mining.masking import PATTERNS, WILDCARD, Masker, tokens


@pytest.fixture(scope="module")
def masker() -> Masker:
    """One masker with every built-in kind."""
    return Masker()


class TestMaskerVariableKinds:
    """Each variable kind becomes `<*>` while the wording around it stays."""

    @pytest.mark.parametrize(
        ("message", "shape"),
        [
            ("took 250 ms", "took <*> ms"),
            ("negative -17 and float 3.25", "negative <*> and float <*>"),
            ("flags 0x1f3a set", "flags <*> set"),
            ("request 123e4567-e89b-12d3-a456-426614174000 done", "request <*> done"),
            ("peer 10.0.0.12 up", "peer <*> up"),
            ("peer fe80::1ff:fe23:4567:890a up", "peer <*>::<*>:<*>:<*>:<*> up"),
            ("connect db-primary:5432 failed", "connect db-primary:<*> failed"),
            ("connect 10.1.2.3:9092 failed", "connect <*>:<*> failed"),
            ("open /var/log/app/server.log failed", "open <*> failed"),
            ("GET https://example.com/api/items?id=7 ok", "GET <*> ok"),
            ("mail to jane.doe@example.org queued", "mail to <*> queued"),
            ("at 2024-05-01T12:30:45.123Z started", "at <*>:<*>:<*> started"),
            ("at 2024-05-01 12:30:45,123 started", "at <*>:<*>:<*> started"),
            ("login at Sun Jul 24 02:38:22 2005 ok", "login at <*>:<*>:<*> ok"),
            ("login at Jul  1 07:57:30 ok", "login at <*>:<*>:<*> ok"),
            ('user said "hello there, world" twice', "user said <*> twice"),
            ("checking 'hlt' instruction", "checking <*> instruction"),
            ("stored 5.2 KB in memory", "stored <*> in memory"),
            ("retry=3 backoff=250ms", "retry=<*> backoff=<*>"),
            ("host=db-1.example.com", "host=<*>"),
        ],
    )
    def test_variable_kind_is_masked(self, masker: Masker, message: str, shape: str) -> None:
        """A message with one variable of a given kind masks to the expected shape."""
        assert masker.mask(message) == shape

    def test_plain_word_values_of_key_value_pairs_are_left_to_the_miner(self, masker: Masker) -> None:
        """A bare word value (an enum or a name) is kept for the miner's cardinality rule."""
        assert masker.mask("state=RUNNING user=root") == "state=RUNNING user=root"

    def test_brackets_around_a_masked_token_are_kept(self, masker: Masker) -> None:
        """Punctuation around a variable stays, so the template keeps its shape."""
        assert (
            masker.mask("Running task 21.0 (TID 1301) on mice.c(573):") == "Running task <*> (TID <*>) on mice.c(<*>):"
        )

    def test_apostrophes_inside_words_are_not_quotes(self, masker: Masker) -> None:
        """`can't` and `Couldn't` do not open a quoted string."""
        assert masker.mask("Couldn't connect, can't retry") == "Couldn't connect, can't retry"


class TestMaskerShapes:
    """Shapes normalise whitespace and collapse variable runs, so token counts agree."""

    def test_runs_of_variables_collapse_into_one(self, masker: Masker) -> None:
        """A list of ids of any length yields the same shape; their constant prefix stays."""
        one = masker.mask("delete blk_1 now")
        three = masker.mask("delete blk_1 blk_22 blk_333 now")
        assert one == three == "delete blk_<*> now"

    def test_whitespace_is_normalised(self, masker: Masker) -> None:
        """Tabs, double spaces and edges do not create new shapes."""
        assert masker.mask("  a\tb   c  ") == "a b c"

    def test_lines_differing_only_in_numbers_share_a_key(self, masker: Masker) -> None:
        """The cache key turns every digit run into `0`."""
        assert masker.key("took 5 ms on 10.0.0.1") == masker.key("took 12345 ms on 192.168.10.200")

    def test_the_key_replaces_each_unit_holding_a_digit_with_one_zero(self, masker: Masker) -> None:
        """Same result as a plain definition (a unit holding a digit, dots at its end left out)."""
        separators = r"\s=:,;()\[\]{}\"'<>_/\\@#|"
        plain = re.compile(rf"(?<![^{separators}.])[^{separators}]*?[0-9](?:[^{separators}.]|\.(?=[^{separators}.]))*")
        rng = random.Random(7)
        alphabet = " \t=:,;()[]{}\"'<>ab1Z9.-_/\\@#|é٣"
        for _ in range(5_000):
            message = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
            assert masker.key(message) == plain.sub("0", message), repr(message)
        assert masker.key("blk_-123 x=4:5 v1.2 (id7)") == "blk_0 x=0:0 0 (0)"

    def test_batch_keys_equal_the_key_of_each_message(self, masker: Masker) -> None:
        """`keys` takes a cheaper route (and remembers it), yet gives exactly `key` for every message."""
        rng = random.Random(11)
        alphabet = " \t=:,;()[]{}\"'<>ab1Z9.-_/é٣fe0"
        messages = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(5_000)]
        messages += ["trace_id=ab12cd order 7", "trace_id=12abcd order 7", "v1.2.3 ok", "٣ items"]
        # twice: the second pass is answered from the memo
        assert masker.keys(messages) == masker.keys(messages) == [masker.key(m) for m in messages]

    def test_batch_keys_are_right_when_a_message_holds_a_newline(self, masker: Masker) -> None:
        """The batch is joined by newlines for one substitution: a message with its own takes the per-message way."""
        messages = ["took 5 ms", "line one 12\nline two 3a", "", "\n", "x=4\r\n", "done 7"]
        assert masker.keys(messages) == [masker.key(m) for m in messages]
        assert masker.keys(["", ""]) == ["", ""]
        assert masker.keys([]) == []

    def test_batch_keys_forget_their_memo_when_it_is_full(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The memo is bounded: it starts afresh at its limit and stays right."""
        monkeypatch.setattr(masking, "MEMO_LIMIT", 10)
        masker = Masker()
        messages = [f"user u{i}x logged in" for i in range(50)]
        assert masker.keys(messages) == [masker.key(m) for m in messages]
        assert len(masker._memo) <= 10

    def test_batch_keys_apply_extra_masks_first(self) -> None:
        """With user masks the batch path is the plain `key`, so the masks see the raw message."""
        masker = Masker(extra=(r"order-[a-z]+",))
        messages = ["order-abc shipped 3", "order-xyz shipped 45"]
        assert masker.keys(messages) == [masker.key(m) for m in messages] == ["<*> shipped 0"] * 2

    def test_shape_is_a_function_of_the_key(self, masker: Masker) -> None:
        """Masking the key gives the same shape as masking the raw message."""
        message = "at Sun Jul 24 02:38:22 2005 user=bob path=/tmp/x9 id 0x7f"
        assert masker.shape(masker.key(message)) == masker.mask(message)

    def test_tokens_split_a_shape_on_single_spaces(self) -> None:
        """Tokens of an empty shape are empty; others split on the normalised spaces."""
        assert tokens("") == ()
        assert tokens(f"a {WILDCARD} b") == ("a", WILDCARD, "b")


class TestMaskerConfiguration:
    """Kinds can be chosen and extra regexes added."""

    def test_extra_masks_run_before_the_built_in_rules(self) -> None:
        """A user regex masks words the built-in rules keep."""
        masker = Masker(extra=(r"\bsess-[a-z]+\b",))
        assert masker.mask("opened sess-abcdef for bob") == "opened <*> for bob"

    def test_a_subset_of_kinds_leaves_the_others_alone(self) -> None:
        """Without the path kind, a digit-free path stays literal."""
        masker = Masker(kinds=tuple(k for k in PATTERNS if k != "path"))
        assert masker.mask("open /etc/hosts") == "open /etc/hosts"

    def test_unknown_kind_is_rejected_with_the_known_ones(self) -> None:
        """A typo in a kind name names the known kinds."""
        with pytest.raises(ValueError, match="unknown mask kinds"):
            Masker(kinds=("nubmer",))
