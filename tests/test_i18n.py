"""Chinese first, English available: every source string has its English, and Django serves it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from cases.constants import CaseState
from departments.identifiers import validate_resident_id
from tests.sign_in import sign_in
from tools import i18n

# --- the catalogue is complete -------------------------------------------------


def test_every_source_string_has_english_and_the_mo_is_compiled():
    problems = i18n.check()
    assert problems == [], (
        "English is incomplete; translate in locale/en/LC_MESSAGES/django.po "
        "(python tools/i18n.py update adds new strings), then python tools/i18n.py compile:\n"
        + "\n".join(problems)
    )


def test_every_translation_keeps_the_placeholders_of_its_source():
    catalogue = i18n.load_catalogue()
    formatted = [entry for entry in catalogue if "%(" in entry.msgid and not entry.obsolete]
    assert formatted, "the catalogue should hold messages with placeholders"
    for entry in formatted:
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translated in translations:
            assert i18n.placeholder_problem(entry.msgid, translated) is None, entry.msgid


def test_choices_labels_and_verbose_names_are_extracted():
    keys = set(i18n.group_messages(i18n.extract_messages()))
    assert (None, "已受理") in keys  # CaseState.ACCEPTED
    assert (None, "办件编号") in keys  # Case.tracking_no verbose name
    assert (None, "OneWindow 一窗受理 · 后台审批") in keys  # templates/admin/base_site.html


# --- the checker itself ----------------------------------------------------------


def test_python_extraction_reads_every_kind_of_call():
    source = (
        "from django.utils import translation\n"
        "from django.utils.translation import gettext_lazy as _\n"
        'a = _("一" "二")\n'
        'b = translation.pgettext("月份", "五月")\n'
        'c = ngettext_lazy("%(count)d 项", "%(count)d 项", 2)\n'
        'd = npgettext("上下文", "单", "复", 2)\n'
        "e = _(variable)\n"
        'f = _("")\n'
    )
    assert i18n.extract_python_source(source) == [
        (i18n.Message("一二"), 3),
        (i18n.Message("五月", context="月份"), 4),
        (i18n.Message("%(count)d 项", plural="%(count)d 项"), 5),
        (i18n.Message("单", context="上下文", plural="复"), 6),
    ]


def test_template_extraction_normalises_like_makemessages():
    source = (
        "{% load i18n %}\n"
        '<p>{% translate "完成 100%" %}</p>\n'
        "{% trans '菜单' context \"导航\" %}\n"
        "  {% blocktranslate trimmed with name=user.name %}\n"
        "    你好，{{ name }}\n"
        "    欢迎\n"
        "  {% endblocktranslate %}\n"
        "{% blocktranslate count counter=n %}{{ counter }} 件{% plural %}{{ counter }} 件们"
        "{% endblocktranslate %}\n"
        '{{ value|default:_("默认") }}\n'
    )
    messages = [message for message, _line in i18n.extract_template_source(source)]
    assert messages == [
        i18n.Message("完成 100%%"),
        i18n.Message("菜单", context="导航"),
        i18n.Message("你好，%(name)s 欢迎"),
        i18n.Message("%(counter)s 件", plural="%(counter)s 件们"),
        i18n.Message("默认"),
    ]


@pytest.mark.parametrize(
    ("source", "translation", "is_fine"),
    [
        ("办件 %(number)s", "Case %(number)s", True),
        ("办件 %(number)s", "Case %(numbr)s", False),
        ("办件 %(number)s", "Case", False),
        ("共 %(length)d 位", "%(length)s characters", False),
        ("办件", "Case %(number)s", False),
        ("完成 100%%", "100%% done", True),
        ("完成 100%%", "100% done", False),
        ("完成率100%", "100% done", True),  # never formatted, so a lone % is fine
        ("%s 和 %d", "%s and %d", True),
        ("%s 和 %d", "%d and %s", False),
    ],
)
def test_placeholders_must_match(source, translation, is_fine):
    assert (i18n.placeholder_problem(source, translation) is None) is is_fine


def test_a_new_string_fails_the_check_until_it_has_english(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "views.py").write_text(
        'from django.utils.translation import gettext as _, ngettext\n_("新办件 %(number)s")\n'
        'ngettext("%(count)d 份材料", "%(count)d 份材料", 2)\n',
        encoding="utf-8",
    )
    (tmp_path / "cases" / "migrations").mkdir()
    (tmp_path / "cases" / "migrations" / "0001_initial.py").write_text('_("迁移里的字符串")\n')
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text('{% load i18n %}{% translate "页面" %}\n')
    po_path = tmp_path / "django.po"
    mo_path = tmp_path / "django.mo"
    po_path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n')

    *untranslated, no_mo = i18n.check(tmp_path, po_path, mo_path)
    assert [problem.split(": ", 1)[0] for problem in untranslated] == [
        "cases/views.py:2",
        "cases/views.py:3",
        "templates/page.html:1",
    ]
    assert "django.mo is missing" in no_mo

    assert i18n.update_catalogue(tmp_path, po_path) == (3, 0)
    catalogue = i18n.load_catalogue(po_path)
    english = {"新办件 %(number)s": "New case %(number)s", "页面": "Page"}
    for entry in catalogue:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: "%(count)d material", 1: "%(count)d materials"}
        else:
            entry.msgstr = english[entry.msgid]
    catalogue.save(str(po_path))
    i18n.compile_catalogue(po_path, mo_path)
    assert i18n.check(tmp_path, po_path, mo_path) == []


def test_a_stale_mo_is_reported(tmp_path):
    po_path = tmp_path / "django.po"
    mo_path = tmp_path / "django.mo"
    po_path.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "受理"\nmsgstr "Accept"\n',
        encoding="utf-8",
    )
    assert "missing" in i18n.stale_mo_problem(po_path, mo_path)
    i18n.compile_catalogue(po_path, mo_path)
    assert i18n.stale_mo_problem(po_path, mo_path) is None
    po_path.write_text(po_path.read_text("utf-8").replace("Accept", "Accept it"), "utf-8")
    assert "stale" in i18n.stale_mo_problem(po_path, mo_path)


# --- Django speaks English when asked ----------------------------------------------


def test_choice_labels_come_out_in_english():
    with translation.override("en"):
        assert str(CaseState.ACCEPTED.label) == "Accepted"
        assert str(CaseState.PENDING_MATERIALS.label) == "Awaiting missing materials"


def test_validator_messages_come_out_in_english():
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        validate_resident_id("110105194912310021")
    with translation.override("en"):
        assert raised.value.messages == [
            "Wrong check character in the resident ID number: the last character "
            "should be X, not 1. Please check the number."
        ]


@pytest.mark.django_db
def test_admin_answers_in_english_to_an_english_browser(client, superuser):
    sign_in(client, superuser)
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<title>Site administration | OneWindow</title>" in page
    assert "OneWindow · Back-office approval" in page
    assert "Departments and service catalogue" in page
    assert "站点管理" not in page


@pytest.mark.django_db
def test_choosing_english_sticks(client, superuser):
    sign_in(client, superuser)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    page = client.get(reverse("admin:index")).content.decode()
    assert "<title>Site administration | OneWindow</title>" in page


# --- Chinese by default -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("accept_language", [None, "fr"])
def test_admin_is_chinese_by_default(client, superuser, accept_language):
    sign_in(client, superuser)
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    page = client.get(reverse("admin:index"), **headers).content.decode()
    assert "<title>站点管理 | OneWindow 一窗受理</title>" in page
    assert "部门与事项目录" in page
    assert 'lang="zh-hans"' in page


def test_without_a_chosen_language_strings_are_chinese():
    with translation.override("en"):  # only to restore the active language afterwards
        translation.deactivate()
        assert translation.get_language() == "zh-hans"
        assert str(CaseState.ACCEPTED.label) == "已受理"
