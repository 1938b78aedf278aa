"""The public open-data portal as an anonymous visitor meets it: search, facets, a dataset's
page with schema, preview, downloads and API calls, licence pages that add up."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from tests.opendata.conftest import BUS_STOP_ROWS, OpenCity


def test_anonymous_catalogue_lists_only_open_datasets(client: TestClient, city: OpenCity) -> None:
    got = client.get("/open")
    assert got.status_code == 200
    assert "公交站点" in got.text and "空气质量监测" in got.text
    assert "户籍人口" not in got.text and "社区卫生服务中心" not in got.text
    assert "共 3 个开放数据集" in got.text


def test_search_and_facets_narrow_the_list(client: TestClient, city: OpenCity) -> None:
    got = client.get("/open", params={"q": "公交"})
    assert "公交站点" in got.text and "空气质量监测" not in got.text
    by_licence = client.get("/open", params={"licence": "city-open"})
    assert "空气质量监测" in by_licence.text and "公交站点" not in by_licence.text
    assert "共 1 个开放数据集" in by_licence.text
    by_org = client.get("/open", params={"org": "jtj"})
    assert "公交站点" in by_org.text and "道路施工计划" in by_org.text
    assert "空气质量监测" not in by_org.text
    none = client.get("/open", params={"q": "不存在的词汇", "theme": "health"})
    assert "没有符合条件的开放数据集" in none.text


def test_dataset_page_has_schema_preview_downloads_and_api(
    client: TestClient, city: OpenCity
) -> None:
    got = client.get("/open/dataset/bus-stops")
    assert got.status_code == 200
    page = got.text
    for column in ("站点编号", "站点名称", "日均客流", "开通日期"):
        assert column in page
    assert "示范路1号站" in page  # the preview shows real rows
    assert "/licence/cc-by-4.0" in page
    assert "/api/3/action/package_show?id=bus-stops" in page
    assert "format=parquet" in page and "format=json" in page
    # the download links work for the anonymous visitor
    parquet = client.get("/api/datahub/datasets/bus-stops/download?format=parquet")
    assert parquet.status_code == 200
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == BUS_STOP_ROWS
    as_json = client.get("/api/datahub/datasets/bus-stops/download?format=json")
    assert as_json.status_code == 200


def test_closed_datasets_are_not_found_on_the_portal(client: TestClient, city: OpenCity) -> None:
    for name in ("residents", "clinics", "no-such-dataset"):
        got = client.get(f"/open/dataset/{name}")
        assert got.status_code == 404, name
        assert "户籍人口登记信息" not in got.text


def test_english_portal(client: TestClient, city: OpenCity) -> None:
    got = client.get("/open", params={"lang": "en"})
    assert "open datasets" in got.text and "Department" in got.text


def test_licence_pages_exist_and_say_whether_open(client: TestClient, city: OpenCity) -> None:
    assert client.get("/licence").status_code == 200
    internal = client.get("/licence/gov-internal")
    assert internal.status_code == 200 and "仅限政务内部使用" in internal.text
    city_open = client.get("/licence/city-open")
    assert city_open.status_code == 200 and "允许社会公众使用" in city_open.text
    assert "空气质量监测" in city_open.text  # the datasets published under it
    assert client.get("/licence/nope").status_code == 404


def test_dataset_uri_leads_a_browser_to_the_portal(client: TestClient, city: OpenCity) -> None:
    got = client.get("/dataset/bus-stops", headers={"Accept": "text/html"}, follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == "/open/dataset/bus-stops"
    api = client.get("/dataset/bus-stops", follow_redirects=False)
    assert api.headers["location"].startswith("/api/3/action/package_show")


def test_login_page_links_the_portal(client: TestClient) -> None:
    assert 'href="/open"' in client.get("/login").text
