"""The public service guide: anyone may read it without signing in, find an item by any
word of its name or of a material's, and see what they need not bring."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.urls import reverse

from departments.models import Bundle, ServiceItem
from departments.services.catalogue import catalogue_import
from tests.factories import ServiceItemFactory
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db

DEMO_CATALOGUE = Path(settings.BASE_DIR) / "departments" / "demo" / "catalogue.yaml"


def _text(response) -> str:
    return response.content.decode()


def test_home_without_signing_in_is_the_guide(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    page = _text(response)
    assert "我要开餐馆" in page
    assert "食品经营许可（餐饮服务）核发" in page
    for path in ("/track/", "/me/", "/lottery/"):
        assert f'href="{path}"' in page


def test_a_chinese_substring_finds_the_bundle_and_its_items(client, catalogue):
    response = client.get("/", {"q": "餐馆"})
    assert response.status_code == 200
    assert [bundle.code for bundle in response.context["result"].bundles] == ["OPEN_RESTAURANT"]
    assert response.context["result"].items == []

    items = client.get("/", {"q": "餐饮"}).context["result"].items
    assert [item.code for item in items] == ["A003"]


def test_a_material_name_finds_the_item_that_asks_for_it(client, catalogue):
    result = client.get("/", {"q": "平面图"}).context["result"]
    assert [item.code for item in result.items] == ["A003"]
    # The bundle holds that item, so it is found too.
    assert [bundle.code for bundle in result.bundles] == ["OPEN_RESTAURANT"]


def test_every_word_of_the_query_must_match(client, catalogue):
    assert [i.code for i in client.get("/", {"q": "食品 平面图"}).context["result"].items] == [
        "A003"
    ]
    assert client.get("/", {"q": "食品 婚姻"}).context["result"].items == []


def test_a_too_long_query_gets_a_clear_message_and_no_search(client, catalogue):
    response = client.get("/", {"q": "餐" * 51})
    assert response.status_code == 400
    assert response.context["result"] is None
    assert "搜索词最多50个字" in _text(response)


def test_an_item_page_says_what_the_government_already_holds_and_the_fee(client, catalogue):
    response = client.get(reverse("guide:item", args=["A003"]))
    assert response.status_code == 200
    materials = {
        material.material_type.code: material for material in response.context["materials"]
    }
    assert materials["ID_CARD"].is_held_by_government
    assert "人口基础信息库" in materials["ID_CARD"].source
    assert materials["LICENCE_COPY"].is_held_by_government
    assert not materials["FLOOR_PLAN"].is_held_by_government
    page = _text(response)
    assert page.count("政府已掌握，无需提交") == 2
    assert "收费120.00元" in page
    assert "10个工作日" in page
    assert "《中华人民共和国食品安全法》第三十五条" in page
    assert f'href="{reverse("citizens:apply")}?q=' in page
    assert '<link rel="canonical" href="http://testserver/guide/items/A003/">' in page
    assert '<meta name="description" content="' in page


def test_a_free_item_says_free(client, catalogue):
    page = _text(client.get(reverse("guide:item", args=["A002"])))
    assert "免费" in page
    assert "收费" not in page.split('id="fee"')[1].split("</dd>")[0]


def test_an_unknown_or_inactive_item_is_404(client, catalogue):
    ServiceItemFactory(code="OLD1", is_active=False)
    assert client.get(reverse("guide:item", args=["NOPE"])).status_code == 404
    assert client.get(reverse("guide:item", args=["OLD1"])).status_code == 404


def test_a_bundle_page_lists_its_items_in_order(client, catalogue):
    response = client.get(reverse("guide:bundle", args=["OPEN_RESTAURANT"]))
    assert response.status_code == 200
    codes = [bundle_item.item.code for bundle_item in response.context["bundle_items"]]
    assert codes == ["A002", "A003"]
    page = _text(response)
    assert page.index("有限责任公司设立登记") < page.index("食品经营许可（餐饮服务）核发")
    # The ID card both items ask for is listed once.
    assert [m.material_type.code for m in response.context["materials"]] == [
        "ID_CARD",
        "LICENCE_COPY",
        "FLOOR_PLAN",
    ]
    # The licence the bundle's first item issues is not asked of the applicant.
    licence = response.context["materials"][1]
    assert licence.is_held_by_government
    assert "有限责任公司设立登记" in licence.source
    assert not response.context["materials"][2].is_held_by_government
    assert "收费120.00元" in page


def test_the_pages_run_a_fixed_number_of_queries(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        client.get("/", {"q": "餐"})
    with django_assert_max_num_queries(5):
        client.get(reverse("guide:item", args=["A003"]))
    with django_assert_max_num_queries(5):
        client.get(reverse("guide:bundle", args=["OPEN_RESTAURANT"]))


def test_every_demo_item_and_bundle_renders(client):
    catalogue_import(path=DEMO_CATALOGUE)
    codes = list(ServiceItem.objects.filter(is_active=True).values_list("code", flat=True))
    assert codes
    for code in codes:
        assert client.get(reverse("guide:item", args=[code])).status_code == 200, code
    for code in Bundle.objects.values_list("code", flat=True):
        assert client.get(reverse("guide:bundle", args=[code])).status_code == 200, code
    assert client.get("/", {"q": "开餐馆"}).context["result"].bundles


def test_the_sitemap_lists_the_guide_pages(client, catalogue):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = {
        element.text
        for element in ElementTree.fromstring(response.content).findall(".//s:loc", namespace)
    }
    assert {
        "http://testserver/",
        "http://testserver/guide/items/A002/",
        "http://testserver/guide/items/A003/",
        "http://testserver/guide/bundles/OPEN_RESTAURANT/",
    } <= locations


def test_robots_txt_allows_the_guide_and_keeps_out_the_private_paths(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert "Allow: /guide/" in lines
    for path in ("/admin/", "/window/", "/me/", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_signed_in_staff_still_start_at_their_pages(client, clerk, superuser):
    sign_in(client, clerk)
    assert client.get("/").url == reverse("window:queue")
    assert client.get(reverse("window:queue")).status_code == 200
    # The guide itself is open to them too.
    assert client.get(reverse("guide:home")).status_code == 200


def test_the_staff_sign_in_page_still_works(client, superuser):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/account/login/")
    sign_in(client, superuser)
    assert client.get("/").url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_pinyin_initials_find_the_bundle_and_the_item(client, catalogue):
    result = client.get("/", {"q": "KCG"}).context["result"]
    assert [bundle.code for bundle in result.bundles] == ["OPEN_RESTAURANT"]
    items = client.get("/", {"q": "spjy"}).context["result"].items
    assert [item.code for item in items] == ["A003"]
    # One Latin letter is too short to mean initials.
    assert client.get("/", {"q": "k"}).context["result"].bundles == []


def test_an_item_says_what_it_is_for_and_who_may_apply_and_is_found_by_it(client):
    catalogue_import(path=DEMO_CATALOGUE)
    page = client.get(reverse("guide:item", args=["A003"]))
    body = _text(page)
    assert "开饭店、餐馆、小吃店" in body  # what it is for
    assert "申请条件" in body and "已取得营业执照" in body  # who may apply
    assert 'name="description" content="从事餐饮服务' in page.content.decode()
    # A word of the description finds the item.
    found = client.get("/", {"q": "开饭店"}).context["result"]
    assert "A003" in [item.code for item in found.items]
