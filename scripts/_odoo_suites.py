# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Helper of scripts/odoo_suites, in two roles.

1. Loaded into Odoo as a server-wide module (``--load=base,web,<this>``, its
   ``post_load`` hook), it changes how the test runner of that Odoo process
   works, nothing else:

   * at_install tests no longer run while each module loads (where they run
     before the modules that depend on theirs are in the registry, so before
     crm_notifications: STYLE.md pitfall 13); they run in the post-install
     phase instead, once the whole registry is loaded and the HTTP server is
     up, at_install ones first, then post_install ones, as Odoo orders each;
   * every test's outcome (with its traceback) and every warm
     ``assertQueryCount`` block's count (passed or not) is appended, one JSON
     object a line, to the file named by $SUITES_RESULTS;
   * with $SUITES_SQL (addon names, comma-separated), each warm block also
     records its queries, each with the innermost frames of those addons'
     code it was issued from (through Odoo's ``query_hooks``).

2. Run as a script (any Python 3), it compares two such files:
   ``_odoo_suites.py report WITHOUT.jsonl WITH.jsonl [AGAIN_WITHOUT.jsonl AGAIN_WITH.jsonl]``
   (the second pair: the differing tests run again alone), or lists the tests
   to run again: ``_odoo_suites.py differing WITHOUT.jsonl WITH.jsonl``.
"""
import contextlib
import json
import linecache
import os
import re
import sys
import threading
from collections import Counter

# ---------------------------------------------------------------------------
# 1. inside Odoo
# ---------------------------------------------------------------------------

_out = None


def _record(**event):
    global _out
    if _out is None:
        _out = open(os.environ["SUITES_RESULTS"], "a", encoding="utf-8", buffering=1)
    _out.write(json.dumps(event) + "\n")


def _test_id(test):
    """Id of a test, of a subtest's test, or the description of a class or
    module set-up error (unittest's _ErrorHolder)."""
    case = getattr(test, "test_case", None)  # unittest.case._SubTest
    return (case or test).id()


def post_load():
    if not os.environ.get("SUITES_RESULTS"):
        return
    import logging

    _patch_positions()
    _patch_result()
    _patch_query_count()
    logging.getLogger(__name__).info(
        "odoo_suites: at_install tests run after loading, with post_install ones; results to %s",
        os.environ["SUITES_RESULTS"],
    )


def _patch_positions():
    from odoo.tests import loader
    from odoo.tests.suite import OdooSuite

    make_suite = loader.make_suite

    def make_suite_after_loading(module_names, position="at_install"):
        # Called by odoo.modules.loading for each module as it loads
        # ('at_install') and by odoo.service.server.preload_registries once
        # the registry is complete ('post_install'): both phases run there.
        if position == "at_install":
            return OdooSuite([])
        tests = list(make_suite(module_names, "at_install")) + list(make_suite(module_names, "post_install"))
        return OdooSuite(tests)

    loader.make_suite = make_suite_after_loading


def _patch_result():
    from odoo.tests.result import OdooTestResult as Result

    start_test, add_error, add_failure, add_skip = Result.startTest, Result.addError, Result.addFailure, Result.addSkip

    def startTest(self, test):
        _record(e="start", t=_test_id(test))
        return start_test(self, test)

    def _failed(kind, original):
        def add(self, test, err):
            _record(
                e=kind,
                t=_test_id(test),
                sub=self.getDescription(test) if getattr(test, "test_case", None) else None,
                soft=bool(self._soft_fail),  # a first try that Odoo retries (ODOO_TEST_FAILURE_RETRIES)
                tb=self._exc_info_to_string(err, test),
            )
            return original(self, test, err)

        return add

    def addSkip(self, test, reason):
        _record(e="skip", t=_test_id(test), reason=str(reason))
        return add_skip(self, test, reason)

    Result.startTest = startTest
    Result.addError = _failed("error", add_error)
    Result.addFailure = _failed("fail", add_failure)
    Result.addSkip = addSkip


def _patch_query_count():
    import logging
    from unittest.mock import patch

    from odoo.tests import common

    addons = [name for name in os.environ.get("SUITES_SQL", "").split(",") if name]
    # odoo.tests.common.BaseCase.assertQueryCount of Odoo 18.0, unchanged but
    # for the _record() of every warm block's count, passed or failed, and the
    # caller read from the frame rather than from inspect.stack()[2] (the same
    # frame: the test's `with`, contextlib in between).
    @contextlib.contextmanager
    def assertQueryCount(self, default=0, flush=True, **counters):
        if self.warm:
            # mock random in order to avoid random bus gc
            with patch("random.random", lambda: 1):
                login = self.env.user.login
                expected = counters.get(login, default)
                if flush:
                    self.env.flush_all()
                    self.env.cr.flush()
                count0 = self.cr.sql_log_count
                with _capturing_queries(self.cr, addons) as queries:
                    yield
                    if flush:
                        self.env.flush_all()
                        self.env.cr.flush()
                count = self.cr.sql_log_count - count0
                caller = sys._getframe().f_back.f_back
                filename, linenum, funcname = caller.f_code.co_filename, caller.f_lineno, caller.f_code.co_name
                filename = filename.replace("\\", "/")
                if "/odoo/addons/" in filename:
                    filename = filename.rsplit("/odoo/addons/", 1)[1]
                _record(e="query", t=self.id(), loc=f"{filename}:{linenum}", func=funcname,
                        login=login, expected=expected, count=count, sql=queries)
                if count > expected:
                    msg = "Query count more than expected for user %s: %d > %d in %s at %s:%s"
                    # add a subtest in order to continue the test_method in case of failures
                    with self.subTest():
                        self.fail(msg % (login, count, expected, funcname, filename, linenum))
                elif count < expected:
                    logger = logging.getLogger(type(self).__module__)
                    msg = "Query count less than expected for user %s: %d < %d in %s at %s:%s"
                    logger.info(msg, login, count, expected, funcname, filename, linenum)
        else:
            # flush before and after during warmup, in order to reproduce the
            # same operations, otherwise the caches might not be ready!
            if flush:
                self.env.flush_all()
                self.env.cr.flush()
            yield
            if flush:
                self.env.flush_all()
                self.env.cr.flush()

    common.BaseCase.assertQueryCount = assertQueryCount


NUMBER = re.compile(r"\b\d+\b")
SPACES = re.compile(r"\s+")


@contextlib.contextmanager
def _capturing_queries(cr, addons):
    """Collect the queries of ``cr`` as [normalized query, where in the addons'
    code] through Odoo's query hooks (odoo.sql_db.Cursor.execute); yields
    None when no addon is named.

    "Where" is the innermost frames of the addons' code in the stack, except
    frames that only pass the call on (their line calls ``super(``): a query
    of Odoo's create under the addon's ``create`` override is Odoo's. The
    parameters of the queries the addons' code issues are kept (which model,
    which records), not those of the others, so that the two runs compare."""
    if not addons:
        yield None
        return
    markers = tuple(f"/{name}/" for name in addons)
    queries = []

    def hook(hook_cr, query, params, start, delay):
        if hook_cr is not cr:
            return
        chain = []
        frame = sys._getframe(1)
        while frame and len(chain) < 3:
            filename = frame.f_code.co_filename
            marker = next((m for m in markers if m in filename), None)
            if marker and "super(" not in linecache.getline(filename, frame.f_lineno):
                chain.append(f"{marker[1:]}{filename.rsplit(marker, 1)[1]}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back
        text = query.decode() if isinstance(query, bytes) else str(query)
        text = NUMBER.sub("N", SPACES.sub(" ", text)).strip()[:400]
        if chain and params:
            text += f"  -- {SPACES.sub(' ', repr(params))[:160]}"
        queries.append([text, " < ".join(chain)])

    thread = threading.current_thread()
    previous = getattr(thread, "query_hooks", None)
    thread.query_hooks = [*(previous or ()), hook]
    try:
        yield queries
    finally:
        if previous is None:
            del thread.query_hooks
        else:
            thread.query_hooks = previous


# ---------------------------------------------------------------------------
# 2. the comparison
# ---------------------------------------------------------------------------

ADDON_HOLDER = re.compile(r"^(\w+) \((.+)\)$")  # "setUpClass (odoo.addons.crm.tests.x.Class)"


class Run:
    """What one results file says: per test, its status, tracebacks and the
    counts of its warm assertQueryCount blocks (of its last try)."""

    def __init__(self, path):
        self.started = []
        self.failures = {}  # test -> [(kind, subtest, traceback)]
        self.skipped = {}
        self.soft = set()
        self.queries = {}  # test -> [event]
        seen = set()
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                event = json.loads(line)
                test = event["t"]
                if event["e"] == "start":
                    if test not in seen:
                        seen.add(test)
                        self.started.append(test)
                    self.queries[test] = []  # a retry counts again
                elif event["e"] in ("fail", "error"):
                    if event["soft"]:
                        self.soft.add(test)
                    else:
                        self.failures.setdefault(test, []).append((event["e"], event["sub"], event["tb"]))
                elif event["e"] == "skip":
                    self.skipped[test] = event["reason"]
                elif event["e"] == "query":
                    self.queries.setdefault(test, []).append(event)

    def query_counts(self, field=None):
        """{(test, location, login, occurrence): (expected, count)}, or the
        given field of each block's event (``sql``: its queries, if recorded)"""
        result = {}
        for test, events in self.queries.items():
            occurrences = {}
            for event in events:
                key = (test, event["loc"], event["login"])
                occurrences[key] = occurrences.get(key, 0) + 1
                result[key + (occurrences[key],)] = event.get(field) if field else (event["expected"], event["count"])
        return result


def short(test):
    """odoo.addons.crm.tests.test_x.Class.test_y -> crm: test_x.Class.test_y"""
    holder = ADDON_HOLDER.match(test)
    name = holder.group(2) if holder else test
    parts = name.split(".")
    if parts[:2] == ["odoo", "addons"] and len(parts) > 3:
        name = f"{parts[2]}: {'.'.join(parts[4:] if parts[3] == 'tests' else parts[3:])}"
    return f"{name} ({holder.group(1)})" if holder else name


def rerun_tag(test):
    """--test-tags spec selecting this test: /module:Class.method (or the class)."""
    holder = ADDON_HOLDER.match(test)
    parts = (holder.group(2) if holder else test).split(".")
    module = parts[2]
    if holder:
        return f"/{module}:{parts[-1]}" if holder.group(1) in ("setUpClass", "tearDownClass") else f"/{module}"
    return f"/{module}:{parts[-2]}.{parts[-1]}"


def differing(without, with_):
    only_with = sorted(set(with_.failures) - set(without.failures))
    only_without = sorted(set(without.failures) - set(with_.failures))
    return only_with, only_without


def query_count_changes(without, with_):
    counts_without, counts_with = without.query_counts(), with_.query_counts()
    keys = sorted(set(counts_without) | set(counts_with))
    return [k for k in keys if counts_without.get(k, (0, None))[1] != counts_with.get(k, (0, None))[1]]


def write_sql_difference(w, key, again):
    """The queries a block runs only with the addon (or only without it), as
    recorded when its test ran again with $SUITES_SQL, and where in the
    addons' code they come from."""
    sql_without, sql_with = (run.query_counts("sql").get(key) for run in again)
    if sql_without is None or sql_with is None:
        return
    w(f"         run again alone, with its queries recorded: without {len(sql_without)}, with {len(sql_with)}")
    texts_without, texts_with = Counter(q for q, _ in sql_without), Counter(q for q, _ in sql_with)
    where = {}
    for query, chain in sql_with:
        where.setdefault(query, Counter())[chain or "(no addon code in the stack)"] += 1
    for sign, difference in (("+", texts_with - texts_without), ("-", texts_without - texts_with)):
        for query, times in difference.most_common(12):
            text, _sep, params = query.partition("  -- ")
            w(f"         {sign}{times} x {text[:200]}" + (f"  -- {params}" if params else ""))
            for chain, n in (where.get(query) or {}).most_common(2) if sign == "+" else ():
                w(f"              from {chain}" + (f" ({n} of {texts_with[query]})" if n != texts_with[query] else ""))
    from_addons = Counter(chain for _q, chain in sql_with if chain)
    if from_addons:
        w(f"         queries issued from the addons' code in this block: {sum(from_addons.values())}")
        for chain, n in from_addons.most_common(6):
            w(f"           {n} x {chain}")


def first_line(failures):
    for _kind, _sub, tb in failures:
        lines = [line for line in tb.strip().splitlines() if line.strip()]
        if lines:
            return lines[-1][:200]
    return ""


def rerun_outcomes(tests, rerun_paths):
    """How each test ended when run again alone on both databases."""
    again_without, again_with = Run(rerun_paths[0]), Run(rerun_paths[1])
    ran_again = set(again_without.started) & set(again_with.started)
    outcomes = {}
    for test in tests:
        failed = (test in again_without.failures, test in again_with.failures)
        if test not in ran_again and not ADDON_HOLDER.match(test):
            outcomes[test] = "was not run again"
        else:
            outcomes[test] = {
                (False, True): "fails again only with the addon",
                (True, False): "fails again only without the addon",
                (True, True): "fails again in both runs",
                (False, False): "passes in both runs",
            }[failed]
    return outcomes


def write_failures(w, run, test, note):
    w("")
    w(f"--- {short(test)}{note}")
    for kind, sub, tb in run.failures[test]:
        w(f"{kind.upper()}{': ' + sub if sub else ''}")
        w(tb.rstrip())


def write_skips(w, without, with_):
    skipped_both = sorted(set(without.skipped) & set(with_.skipped))
    skipped_one = sorted(set(without.skipped) ^ set(with_.skipped))
    w("")
    w(f"== skipped in both runs: {len(skipped_both)}; in one run only: {len(skipped_one)}")
    for test in skipped_both:
        w(f"   {short(test)}: {with_.skipped[test][:160]}")
    for test in skipped_one:
        side = "with" if test in with_.skipped else "without"
        w(f"   only {side} the addon: {short(test)}: {(with_.skipped.get(test) or without.skipped[test])[:160]}")
    for test in sorted(without.soft | with_.soft):
        w(f"   retried after a failed first try: {short(test)}")
    return len(skipped_both), len(skipped_one)


def write_query_counts(w, without, with_, again=None):
    """The warm assertQueryCount blocks whose counts differ; returns
    (blocks that differ, extra queries, blocks over their expected count only with the addon)."""
    counts_without, counts_with = without.query_counts(), with_.query_counts()
    keys = sorted(set(counts_without) | set(counts_with))
    changed = query_count_changes(without, with_)
    over = [
        k for k in keys
        if k in counts_with and counts_with[k][1] > counts_with[k][0]
        and not (k in counts_without and counts_without[k][1] > counts_without[k][0])
    ]
    w("")
    w(f"== query counts (warm assertQueryCount blocks): {len(keys)} blocks in "
      f"{len({k[0] for k in keys})} tests; {len(changed)} differ")
    extra = 0
    for key in changed:
        test, location, login, occurrence = key
        expected, before = counts_without.get(key, (None, None))
        expected, after = counts_with.get(key, (expected, None))
        if before is not None and after is not None:
            extra += after - before
            delta = f"{after - before:+d}"
        else:
            delta = "block ran in one run only"
        flag = "  OVER the expected count with the addon" if key in over else ""
        w(f"   {short(test)}")
        w(f"      {location}{' #%d' % occurrence if occurrence > 1 else ''} as {login}: expected {expected}, "
          f"without {before}, with {after} ({delta}){flag}")
        if again:
            write_sql_difference(w, key, again)
    if changed:
        w(f"   total: {extra:+d} queries over the {len(changed)} blocks that differ")
    return len(changed), extra, len(over)


def report(without_path, with_path, rerun_paths=None):
    without, with_ = Run(without_path), Run(with_path)
    only_with, only_without = differing(without, with_)
    both = sorted(set(with_.failures) & set(without.failures))
    again = rerun_outcomes(only_with + only_without, rerun_paths) if rerun_paths else {}
    again_runs = (Run(rerun_paths[0]), Run(rerun_paths[1])) if rerun_paths else None
    # not run again (a rerun that broke down): kept as failing, to be safe
    confirmed = [t for t in only_with if again.get(t, "was not run again")
                 in ("fails again only with the addon", "was not run again")]

    out = []
    w = out.append
    for name, run in (("without the addon:", without), ("with the addon:   ", with_)):
        w(f"{name} {len(run.started)} tests, {len(run.failures)} failing, {len(run.skipped)} skipped")
    incomplete = set(without.started) ^ set(with_.started)
    if incomplete:
        w("!! the two runs did not run the same tests:")
        for test in sorted(incomplete):
            w(f"   only {'without' if test in without.started else 'with'} the addon: {short(test)}")

    w("")
    w(f"== tests that fail ONLY WITH the addon: {len(only_with)}")
    for test in only_with:
        outcome = again.get(test)
        write_failures(w, with_, test, "" if not again else (
            "  [could not be run again: kept as failing]" if outcome == "was not run again"
            else f"  [confirmed: run again alone, it {outcome}]" if test in confirmed
            else f"  [NOT confirmed: run again alone, it {outcome}]"
        ))
    w("")
    w(f"== tests that fail only WITHOUT the addon: {len(only_without)}")
    for test in only_without:
        outcome = again.get(test)
        write_failures(w, without, test, "" if not again else (
            "  [could not be run again]" if outcome == "was not run again" else f"  [run again alone, it {outcome}]"
        ))
    w("")
    w(f"== tests that fail in both runs (not the addon's doing): {len(both)}")
    for test in both:
        line_without, line_with = first_line(without.failures[test]), first_line(with_.failures[test])
        w(f"   {short(test)}: {line_with}" + ("" if line_with == line_without else f"  (without: {line_without})"))
    skipped_both, skipped_one = write_skips(w, without, with_)
    changed, extra, over = write_query_counts(w, without, with_, again_runs)

    w("")
    w(
        f"odoo_suites: {len(with_.started)} tests; {len(only_with)} fail only with the addon"
        + (f" ({len(confirmed)} confirmed, {len(only_with) - len(confirmed)} not)" if again and only_with else "")
        + f", {len(only_without)} only without, {len(both)} in both; "
        f"{changed} query counts differ ({extra:+d} queries), {over} over the expected count; "
        f"skipped: {skipped_both} in both, {skipped_one} in one"
        + (f"; {len(incomplete)} tests ran in one run only" if incomplete else "")
        + " -> " + ("FAILED" if confirmed else "INCOMPLETE" if incomplete else "OK")
    )
    print("\n".join(out))
    return 1 if confirmed or incomplete else 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "differing":
        # tags of the tests whose outcome or query counts differ, for a second, targeted run
        without, with_ = Run(argv[1]), Run(argv[2])
        only_with, only_without = differing(without, with_)
        tests = only_with + only_without + [key[0] for key in query_count_changes(without, with_)]
        print(",".join(sorted({rerun_tag(t) for t in tests})))
        return 0
    if len(argv) in (3, 5) and argv[0] == "report":
        return report(argv[1], argv[2], argv[3:5] or None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
