"""Registry snapshots (issue 16.1): ``import_registry`` and ``registry_snapshot_import``.

Each test runs on the embedded SQLite (chunked bulk upserts) and on PostgreSQL (COPY
into a temporary table, then one statement each), the same assertions on both."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import RegistryRecord
from departments.services.registry_import import (
    RegistrySnapshotError,
    registry_records_import,
    registry_snapshot_import,
)
from tests.factories import RegistryFactory, RegistryRecordFactory, resident_id, uscc

pytestmark = pytest.mark.django_db

PERSON = resident_id(1)
OTHER_PERSON = resident_id(2)
THIRD_PERSON = resident_id(3)
COMPANY = uscc(1)
# The same person with a wrong check character (the right one is PERSON[-1]).
WRONG_CHECK = PERSON[:17] + ("0" if PERSON[-1] != "0" else "1")


def line(subject_id, data) -> str:
    return json.dumps({"subject_id": subject_id, "data": data}, ensure_ascii=False)


def snapshot(tmp_path: Path, *lines: str | bytes) -> Path:
    path = tmp_path / "snapshot.jsonl"
    path.write_bytes(
        b"".join((item if isinstance(item, bytes) else item.encode()) + b"\n" for item in lines)
    )
    return path


def records_of(registry) -> dict[str, dict]:
    return dict(RegistryRecord.objects.filter(registry=registry).values_list("subject_id", "data"))


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("import_registry", *args, "--no-progress", stdout=out)
    return out.getvalue()


@pytest.fixture
def registry():
    return RegistryFactory(code="POPULATION")


# --- upsert and replace ---------------------------------------------------------


def test_existing_subjects_get_the_new_data_and_new_ones_are_added(tmp_path, registry):
    old = RegistryRecordFactory(registry=registry, subject_id=PERSON, data={"status": "迁出"})
    RegistryRecord.objects.filter(pk=old.pk).update(
        updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    kept = RegistryRecordFactory(
        registry=registry, subject_id=THIRD_PERSON, data={"status": "正常"}
    )
    elsewhere = RegistryRecordFactory(subject_id=OTHER_PERSON, data={"x": 1})

    output = run_command(
        "POPULATION",
        str(
            snapshot(tmp_path, line(PERSON, {"status": "正常"}), line(COMPANY, {"status": "存续"}))
        ),
    )

    assert "读入 2 条记录，新增 1 条，更新 1 条，删除 0 条" in output
    assert records_of(registry) == {
        PERSON: {"status": "正常"},
        COMPANY: {"status": "存续"},
        THIRD_PERSON: {"status": "正常"},  # not in the snapshot: kept without --replace
    }
    old.refresh_from_db()
    assert old.updated_at > dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    assert RegistryRecord.objects.get(pk=kept.pk).data == {"status": "正常"}
    # Another registry's records are not touched.
    assert RegistryRecord.objects.get(pk=elsewhere.pk).data == {"x": 1}


def test_replace_makes_the_snapshot_the_whole_registry(tmp_path, registry):
    RegistryRecordFactory(registry=registry, subject_id=PERSON, data={"status": "正常"})
    RegistryRecordFactory(registry=registry, subject_id=OTHER_PERSON, data={"status": "正常"})
    elsewhere = RegistryRecordFactory(subject_id=PERSON, data={"x": 1})

    output = run_command(
        "POPULATION",
        str(snapshot(tmp_path, line(OTHER_PERSON, {"status": "死亡"}), line(COMPANY, {}))),
        "--replace",
    )

    assert "读入 2 条记录，新增 1 条，更新 1 条，删除 1 条" in output
    assert records_of(registry) == {OTHER_PERSON: {"status": "死亡"}, COMPANY: {}}
    assert RegistryRecord.objects.get(pk=elsewhere.pk).data == {"x": 1}


def test_replace_with_an_empty_snapshot_is_refused_and_keeps_the_registry(tmp_path, registry):
    RegistryRecordFactory(registry=registry, subject_id=PERSON, data={"status": "正常"})
    with pytest.raises(CommandError, match="不会清空共享数据库"):
        run_command("POPULATION", str(snapshot(tmp_path, "", "  ")), "--replace")
    assert records_of(registry) == {PERSON: {"status": "正常"}}


def test_without_replace_an_empty_snapshot_changes_nothing(tmp_path, registry):
    RegistryRecordFactory(registry=registry, subject_id=PERSON, data={"status": "正常"})
    output = run_command("POPULATION", str(snapshot(tmp_path)))
    assert "读入 0 条记录，新增 0 条，更新 0 条，删除 0 条" in output
    assert records_of(registry) == {PERSON: {"status": "正常"}}


def test_a_subject_on_several_lines_keeps_its_last_line(tmp_path, registry):
    path = snapshot(
        tmp_path,
        line(PERSON, {"version": 1}),
        line(OTHER_PERSON, {"version": 1}),
        line(PERSON, {"version": 2}),
        line(PERSON.lower(), {"version": 3}),  # the same number, typed with a small x or not
    )
    output = run_command("POPULATION", str(path))
    # Every line read either added a subject or replaced data (an earlier line's too).
    assert "读入 4 条记录，新增 2 条，更新 2 条，删除 0 条" in output
    assert records_of(registry) == {PERSON: {"version": 3}, OTHER_PERSON: {"version": 1}}


def test_numbers_are_stored_normalised(tmp_path, registry):
    spaced = f" {PERSON[:6]} {PERSON[6:14]} {PERSON[14:].lower()} "
    run_command("POPULATION", str(snapshot(tmp_path, line(spaced, {"ok": True}))))
    assert records_of(registry) == {PERSON: {"ok": True}}


def test_many_chunks_last_line_wins_across_and_within_chunks(registry):
    RegistryRecordFactory(registry=registry, subject_id=uscc(99), data={"gone": True})
    subjects = [resident_id(n) for n in range(10, 17)]
    lines = [line(subject, {"n": n}) for n, subject in enumerate(subjects)]
    lines += [line(subjects[0], {"n": "last"}), line(subjects[6], {"n": "again"})]
    calls: list[int] = []

    summary = registry_snapshot_import(
        registry=registry, lines=lines, replace=True, chunk_size=2, progress=calls.append
    )

    assert (summary.records, summary.inserted, summary.updated, summary.deleted) == (9, 7, 2, 1)
    expected = {subject: {"n": n} for n, subject in enumerate(subjects)}
    expected[subjects[0]] = {"n": "last"}
    expected[subjects[6]] = {"n": "again"}
    assert records_of(registry) == expected
    assert calls == [2, 2, 2, 2, 1]


@pytest.mark.sqlite  # PostgreSQL streams the whole input with one COPY
def test_the_embedded_default_writes_one_upsert_per_chunk(registry):
    lines = [line(resident_id(n), {"n": n}) for n in range(10)]
    with CaptureQueriesContext(connection) as queries:
        registry_snapshot_import(registry=registry, lines=lines, chunk_size=3)
    inserts = [query for query in queries if query["sql"].startswith("INSERT INTO")]
    assert len(inserts) == 4  # 3 + 3 + 3 + 1


def test_chinese_and_characters_beyond_the_basic_plane_are_stored_intact(tmp_path, registry):
    data = {"姓名": "𠮷野花子", "住址": "北京市东城区𠀋街1号", "note": 'emoji 🚗, quote " and \\'}
    run_command("POPULATION", str(snapshot(tmp_path, line(PERSON, data))))
    record = RegistryRecord.objects.get(registry=registry, subject_id=PERSON)
    assert record.data == data
    assert record.data["姓名"][0] == "𠮷" and len(record.data["姓名"]) == 4


def test_pairs_from_a_generator_are_imported_and_checked(registry):
    summary = registry_records_import(
        registry=registry,
        records=((resident_id(n), {"n": n}) for n in range(5)),
        chunk_size=2,
    )
    assert (summary.records, summary.inserted) == (5, 5)
    with pytest.raises(RegistrySnapshotError) as raised:
        registry_records_import(
            registry=registry,
            records=iter([(resident_id(7), {"n": 7}), (WRONG_CHECK, {}), (resident_id(8), [])]),
        )
    problems = raised.value.problems
    assert [problem.line for problem in problems] == [2, 3]
    assert "居民身份证号码校验码错误" in problems[0].reason
    assert problems[1].reason == "data 必须是JSON对象。"
    assert len(records_of(registry)) == 5


# --- bad lines: reported with their numbers, nothing written -------------------------

BAD_LINES = [
    ("not-json", "{subject_id: 1}", "不是有效的JSON"),
    ("truncated", '{"subject_id": "' + PERSON + '", "data": {', "不是有效的JSON"),
    ("array", json.dumps([PERSON, {}]), "不是JSON对象"),
    ("string", json.dumps(PERSON), "不是JSON对象"),
    ("no-subject", json.dumps({"data": {}}), "缺少 subject_id"),
    ("empty-subject", json.dumps({"subject_id": "  ", "data": {}}), "缺少 subject_id"),
    ("null-subject", json.dumps({"subject_id": None, "data": {}}), "缺少 subject_id"),
    ("numeric-subject", json.dumps({"subject_id": 110101, "data": {}}), "必须是字符串"),
    ("wrong-check", line(WRONG_CHECK, {}), "居民身份证号码校验码错误"),
    ("short", line("1101011990", {}), "居民身份证号码应为18位"),
    ("wrong-uscc", line(COMPANY[:17] + ("0" if COMPANY[-1] != "0" else "1"), {}), "统一社会信用代码校验码错误"),
    ("no-data", json.dumps({"subject_id": PERSON}), "缺少 data"),
    ("data-list", line(PERSON, [1, 2]), "data 必须是JSON对象"),
    ("data-string", line(PERSON, "正常"), "data 必须是JSON对象"),
    ("nul", line(PERSON, {"name": "a\u0000b"}), "空字符"),
    ("lone-surrogate", '{"subject_id": "' + PERSON + '", "data": {"x": "\\ud800"}}', "代理码点"),
    ("not-utf8", b'{"subject_id": "' + PERSON.encode() + b'", "data": {"x": "\xb1\xb1"}}', "不是UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "bad", "reason"), BAD_LINES, ids=[item[0] for item in BAD_LINES])
@pytest.mark.parametrize("replace", [False, True], ids=["upsert", "replace"])
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_written(
    tmp_path, registry, kind, bad, reason, replace
):
    RegistryRecordFactory(registry=registry, subject_id=PERSON, data={"status": "正常"})
    RegistryRecordFactory(registry=registry, subject_id=THIRD_PERSON, data={"status": "正常"})
    before = records_of(registry)
    # Good lines before it (written in earlier chunks, then rolled back) and after it.
    path = snapshot(
        tmp_path,
        line(PERSON, {"status": "迁出"}),
        "",
        line(COMPANY, {"status": "存续"}),
        bad,
        line(OTHER_PERSON, {"status": "正常"}),
    )
    args = ["POPULATION", str(path), "--chunk-size", "1"] + (["--replace"] if replace else [])
    with pytest.raises(CommandError) as raised:
        run_command(*args)
    message = str(raised.value)
    assert "没有写入任何数据" in message
    reported = [text for text in message.splitlines() if text.startswith("第")]
    assert len(reported) == 1
    assert reported[0].startswith("第4行：")
    assert reason in reported[0]
    assert records_of(registry) == before
    assert RegistryRecord.objects.count() == 2


def test_a_wrong_number_is_shown_masked(tmp_path, registry):
    with pytest.raises(CommandError) as raised:
        run_command("POPULATION", str(snapshot(tmp_path, line(WRONG_CHECK, {}))))
    assert WRONG_CHECK not in str(raised.value)
    assert f"{WRONG_CHECK[:4]}**********{WRONG_CHECK[-4:]}" in str(raised.value)


def test_every_bad_line_is_reported_up_to_twenty_then_how_many_more(tmp_path, registry):
    lines = [line(resident_id(n), {}) if n % 2 else "not json" for n in range(50)]
    with pytest.raises(CommandError) as raised:
        run_command("POPULATION", str(snapshot(tmp_path, *lines)))
    message = str(raised.value)
    assert "25 行有误" in message
    reported = [text for text in message.splitlines() if "行：" in text]
    assert reported[0].startswith("第1行：") and reported[-1].startswith("第39行：")
    assert len(reported) == 20
    assert "另有 5 行有误" in message
    assert not RegistryRecord.objects.exists()


def test_an_unknown_registry_is_a_clear_error(tmp_path, registry):
    with pytest.raises(CommandError, match="没有代码为 NOPE 的共享数据库；现有：POPULATION"):
        run_command("NOPE", str(snapshot(tmp_path, line(PERSON, {}))))
    assert not RegistryRecord.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path, registry):
    with pytest.raises(CommandError, match="无法打开快照文件"):
        run_command("POPULATION", str(tmp_path / "nowhere.jsonl"))


def test_a_byte_order_mark_and_windows_line_ends_are_accepted(tmp_path, registry):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + line(PERSON, {"a": 1}).encode() + b"\r\n" + line(COMPANY, {}).encode()
    )
    run_command("POPULATION", str(path))
    assert records_of(registry) == {PERSON: {"a": 1}, COMPANY: {}}


@pytest.mark.postgresql
def test_postgresql_moves_the_copied_rows_with_one_statement_each(registry):
    RegistryRecordFactory(registry=registry, subject_id=uscc(99), data={"gone": True})
    lines = [line(resident_id(n), {"n": n}) for n in range(10)]
    with CaptureQueriesContext(connection) as queries:
        summary = registry_snapshot_import(
            registry=registry, lines=lines, replace=True, chunk_size=3
        )
    statements = [query["sql"].split()[0] for query in queries]
    # COPY goes through psycopg's copy(), which Django's query log does not show.
    assert statements.count("INSERT") == 1
    assert statements.count("DELETE") == 1
    assert (summary.inserted, summary.deleted) == (10, 1)
    assert len(records_of(registry)) == 10
