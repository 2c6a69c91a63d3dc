"""_payhook.Memo, the one-call functions' memo of prepared decoders: the
C lookup must behave as a plain LRU keyed by the arguments, whatever
Python code runs in the middle of it (factories, ==, finalisers,
threads)."""

import gc
import threading
import weakref

import pytest

from payhook import _keys, _payhook


def make_memo(factory, maxsize=4):
    return _payhook.Memo(factory, _keys._slow_key, _keys.CacheInfo, maxsize)


class Made:
    """A distinct object per factory call, remembering its arguments."""

    def __init__(self, *args):
        self.args = args


def test_a_hit_answers_the_kept_object_and_counts():
    memo = make_memo(Made)
    a = memo("k1", 0, None)
    assert memo("k1", 0, None) is a
    assert memo("k2", 0, None) is not a
    assert memo.cache_info() == _keys.CacheInfo(1, 2, 4, 2)
    assert memo.maxsize == 4


def test_argument_types_and_shapes_stay_apart():
    memo = make_memo(Made, maxsize=64)
    lists = [("k",), (b"k",), (["k"],), (("k",),), (0,), (False,), (0.0,),
             (None,), ("k", 0), ("k0",), ((), ()), ([],), (1 << 62,),
             (-1,), (float("nan"),)]
    made = [memo(*args) for args in lists]
    assert len({id(m) for m in made}) == len(lists)
    assert [memo(*args) for args in lists] == made
    assert memo.cache_info().hits == len(lists)


def test_least_recently_used_goes_first():
    memo = make_memo(Made, maxsize=3)
    a, b, c = memo("a"), memo("b"), memo("c")
    assert memo("a") is a               # a is now the most recent
    memo("d")                           # pushes b out
    assert memo("a") is a and memo("c") is c
    assert memo("b") is not b
    assert memo.cache_info().currsize == 3


def test_uncacheable_arguments_are_made_every_time_and_not_counted():
    memo = make_memo(Made)
    key = bytearray(b"key")
    assert memo(key) is not memo(key)
    assert memo.cache_info() == _keys.CacheInfo(0, 0, 4, 0)


def test_a_callable_argument_is_keyed_by_equality():
    memo = make_memo(Made)
    a = memo("k", float)
    assert memo("k", float) is a
    assert memo("k", int) is not a
    assert memo("k", None) is not a     # the C path: never meets the other
    info = memo.cache_info()
    assert (info.hits, info.misses, info.currsize) == (1, 3, 3)


def test_errors_are_raised_and_not_kept():
    calls = []

    def factory(*args):
        calls.append(args)
        raise ValueError("no")

    memo = make_memo(factory)
    for _ in range(2):
        with pytest.raises(ValueError):
            memo("k")
        with pytest.raises(ValueError):
            memo("k", float)
    assert len(calls) == 4
    assert memo.cache_info().currsize == 0


def test_get_uses_make_on_a_miss_only():
    memo = make_memo(Made)
    made = memo.get(("k", 1), lambda: "made")
    assert made == "made"
    assert memo.get(("k", 1), lambda: pytest.fail("made again")) == "made"
    assert memo("k", 1) == "made"       # the same key as a call's
    with pytest.raises(TypeError):
        memo.get(["k"], lambda: 1)
    with pytest.raises(TypeError):
        memo.get(("k",))


def test_keyword_arguments_and_bad_sizes_are_refused():
    memo = make_memo(Made)
    with pytest.raises(TypeError):
        memo("k", leeway=0)
    for size in (0, -1, 1 << 20):
        with pytest.raises(ValueError):
            make_memo(Made, maxsize=size)


def test_cache_clear_forgets_entries_and_counts():
    memo = make_memo(Made)
    a = memo("k")
    memo("k")
    memo.cache_clear()
    assert memo.cache_info() == _keys.CacheInfo(0, 0, 4, 0)
    assert memo("k") is not a


def test_a_factory_that_uses_the_memo_itself():
    memo = None

    def factory(name):
        if name == "outer":
            inner = memo("inner")
            assert memo("inner") is inner
            return ("outer", inner)
        return Made(name)

    memo = make_memo(factory, maxsize=2)
    outer = memo("outer")
    assert memo("outer") is outer
    assert memo("inner") is outer[1]


class Finaliser:
    """Runs the memo from __del__, as a decoder's owner might."""

    def __init__(self, memo, log):
        self.memo, self.log = memo, log

    def __del__(self):
        self.log.append(self.memo("from-del") is self.memo("from-del"))


def test_finalisers_run_by_eviction_and_clear_see_a_whole_memo():
    log = []
    box = {}
    memo = make_memo(lambda name: Finaliser(box["memo"], log)
                     if name.startswith("f") else Made(name), maxsize=2)
    box["memo"] = memo
    memo("f1")
    memo("f2")
    memo("x")                           # evicts f1: its __del__ uses memo
    memo("y")
    memo.cache_clear()                  # drops the rest
    gc.collect()
    assert log and all(log)
    assert memo.cache_info().currsize <= 2


class Key:
    """A parse_float-like callable whose == runs the memo and clears it."""

    def __init__(self, memo_box, name):
        self.memo_box, self.name = memo_box, name

    def __call__(self, text):
        return float(text)

    def __eq__(self, other):
        memo = self.memo_box.get("memo")
        if memo is not None and self.name == "clearing":
            self.memo_box["memo"] = None
            memo("inside-eq")
            memo.cache_clear()
        return isinstance(other, Key) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


def test_equality_that_changes_the_memo_mid_lookup():
    box = {}
    memo = make_memo(Made, maxsize=8)
    box["memo"] = memo
    first = memo("k", Key(box, "clearing"))
    # The lookup compares the kept key with a new one; the kept key's ==
    # runs the memo and clears it while the comparison is going on.
    again = memo("k", Key(box, "clearing"))
    assert again is first               # found before the clear
    assert memo.cache_info().currsize == 0
    assert memo("k", Key(box, "other")) is not first
    memo("z")
    assert memo("z") is memo("z")


def test_an_equality_that_raises_leaves_the_memo_usable():
    class Bad:
        def __call__(self, text):
            return text

        def __eq__(self, other):
            raise RuntimeError("eq")

        __hash__ = object.__hash__

    memo = make_memo(Made)
    memo("k", Bad())
    with pytest.raises(RuntimeError):
        memo("k", Bad())
    assert memo("j") is memo("j")


def test_many_threads_agree_on_what_is_kept():
    memo = make_memo(Made, maxsize=8)
    names = [f"key-{i}" for i in range(12)]
    seen = {name: set() for name in names}
    errors = []
    start = threading.Barrier(4)

    def work(offset):
        try:
            start.wait()
            for i in range(3000):
                name = names[(i * 7 + offset) % len(names)]
                made = memo(name, 0)
                if made.args != (name, 0):
                    errors.append((name, made.args))
                seen[name].add(id(made))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    info = memo.cache_info()
    assert info.currsize == 8
    assert info.hits + info.misses == 4 * 3000


def test_the_memo_is_collected_with_a_cycle_through_its_factory():
    class Owner:
        pass

    owner = Owner()
    owner.memo = make_memo(lambda name: owner)
    assert owner.memo("k") is owner     # owner -> memo -> entry -> owner
    gone = weakref.ref(owner)
    del owner
    gc.collect()
    assert gone() is None
