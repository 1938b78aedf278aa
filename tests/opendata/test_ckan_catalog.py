"""The CKAN Action API read by the real ``ckanapi`` client over HTTP: lists, search, show."""

from __future__ import annotations

import datetime as dt
import uuid

import ckanapi
import httpx
import pytest

from tests.opendata.conftest import LiveApp, OpenCity

OPEN = ["air-quality", "bus-stops", "road-works"]


def anonymous(live: LiveApp, **kwargs: object) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(live.url, **kwargs)


def test_status_and_the_open_package_list(live: LiveApp) -> None:
    ck = anonymous(live)
    status = ck.action.status_show()
    assert status["ckan_version"].startswith("2.")
    assert "datastore" in status["extensions"]
    assert ck.action.package_list() == OPEN
    assert ck.action.package_list(limit=2, offset=1) == OPEN[1:3]


def test_package_show_has_ckan_fields(live: LiveApp) -> None:
    pkg = anonymous(live).action.package_show(id="bus-stops")
    uuid.UUID(pkg["id"])
    assert pkg["name"] == "bus-stops"
    assert pkg["title"] == "公交站点"
    assert pkg["notes"].startswith("全市公交站点")
    assert pkg["owner_org"] == pkg["organization"]["id"]
    assert pkg["organization"]["name"] == "jtj"
    assert pkg["organization"]["title"] == "交通运输局"
    assert [t["name"] for t in pkg["tags"]] == ["公交", "站点", "客流"]
    assert [g["name"] for g in pkg["groups"]] == ["transport"]
    assert pkg["license_id"] == "cc-by-4.0"
    assert pkg["isopen"] is True
    assert pkg["private"] is False
    dt.datetime.fromisoformat(pkg["metadata_created"])
    dt.datetime.fromisoformat(pkg["metadata_modified"])
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["sharing_type"] == "unconditional"
    assert extras["open_type"] == "unconditional"
    assert extras["update_frequency"] == "daily"
    assert extras["temporal_start"] == "2020-01-01"
    (res,) = pkg["resources"]
    assert res["package_id"] == pkg["id"]
    assert res["format"] == "CSV"
    assert res["datastore_active"] is True
    assert res["row_count"] == 60
    # the same record by id, and the resource by its id
    assert anonymous(live).action.package_show(id=pkg["id"])["name"] == "bus-stops"
    shown = anonymous(live).action.resource_show(id=res["id"])
    assert shown["url"] == res["url"] and shown["package_id"] == pkg["id"]


def test_resource_url_downloads_the_csv(live: LiveApp) -> None:
    res = anonymous(live).action.package_show(id="bus-stops")["resources"][0]
    got = httpx.get(res["url"], timeout=10)
    assert got.status_code == 200
    lines = got.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["站点编号", "站点名称", "区"]
    assert len(lines) == 61


def test_a_dataset_without_data_has_no_resources(live: LiveApp) -> None:
    pkg = anonymous(live).action.package_show(id="road-works")
    assert pkg["resources"] == [] and pkg["num_resources"] == 0


def test_search_with_fq_and_facets(live: LiveApp) -> None:
    ck = anonymous(live)
    result = ck.action.package_search(
        fq="organization:jtj", **{"facet.field": ["organization", "tags", "res_format", "groups"]}
    )
    assert result["count"] == 2
    assert {p["name"] for p in result["results"]} == {"bus-stops", "road-works"}
    assert result["facets"]["organization"] == {"jtj": 2}
    assert result["facets"]["res_format"] == {"CSV": 1}
    assert result["facets"]["tags"]["公交"] == 1
    items = result["search_facets"]["organization"]["items"]
    assert items == [{"name": "jtj", "display_name": "交通运输局", "count": 2}]

    everything = ck.action.package_search(**{"facet.field": '["groups"]', "facet.limit": 1})
    assert everything["count"] == 3
    assert everything["facets"]["groups"] == {"transport": 2}

    assert ck.action.package_search(fq="res_format:CSV")["count"] == 2
    assert ck.action.package_search(fq="tags:空气 OR tags:公交")["count"] == 2
    assert ck.action.package_search(fq="-organization:jtj")["count"] == 1
    assert ck.action.package_search(fq="groups:transport license_id:cc-by-4.0")["count"] == 2
    assert (
        ck.action.package_search(fq="sharing_type:unconditional open_type:conditional")["count"]
        == 0
    )
    assert ck.action.package_search(q="tags:监测")["results"][0]["name"] == "air-quality"


def test_free_text_search_ranks_chinese_words(live: LiveApp) -> None:
    result = anonymous(live).action.package_search(q="公交客流")
    assert [p["name"] for p in result["results"]] == ["bus-stops"]
    assert anonymous(live).action.package_search(q="*:*")["count"] == 3


def test_sort_rows_and_start_page_the_results(live: LiveApp) -> None:
    ck = anonymous(live)
    by_name = ck.action.package_search(sort="name asc", rows=2)
    assert [p["name"] for p in by_name["results"]] == OPEN[:2]
    assert by_name["count"] == 3
    second = ck.action.package_search(sort="name asc", rows=2, start=2)
    assert [p["name"] for p in second["results"]] == OPEN[2:]
    newest = ck.action.package_search(sort="metadata_modified desc")["results"]
    stamps = [p["metadata_modified"] for p in newest]
    assert stamps == sorted(stamps, reverse=True)
    assert ck.action.package_search(sort="title_string desc", rows=1)["results"][0]["title"] in {
        "道路施工计划",
        "空气质量监测",
        "公交站点",
    }


def test_harvester_style_get_with_metadata_modified_range(live: LiveApp) -> None:
    """What ckanext-harvest's CKAN harvester sends: GET, sort by id, a modified-since range."""
    ck = anonymous(live, get_only=True)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = ck.action.package_search(
        fq=f"metadata_modified:[{since} TO *]", rows=100, start=0, sort="id asc"
    )
    ids = [p["id"] for p in result["results"]]
    assert result["count"] == 3 and ids == sorted(ids)
    future = ck.action.package_search(fq="metadata_modified:[2999-01-01T00:00:00Z TO *]")
    assert future["count"] == 0


def test_anonymous_callers_see_only_open_datasets(live: LiveApp) -> None:
    ck = anonymous(live)
    result = ck.action.package_search(include_private=True, rows=100)
    assert sorted(p["name"] for p in result["results"]) == OPEN
    with pytest.raises(ckanapi.NotFound):
        ck.action.package_show(id="residents")
    with pytest.raises(ckanapi.NotFound):
        ck.action.package_show(id="clinics")
    assert "户籍" not in ck.action.tag_list()


def test_signed_in_callers_see_what_the_catalog_allows(live: LiveApp, city: OpenCity) -> None:
    staff = ckanapi.RemoteCKAN(live.url, apikey=city.token("health"))
    assert staff.action.package_search()["count"] == 3  # private ones only on request
    private = staff.action.package_search(include_private=True, rows=100)
    assert private["count"] == 5
    residents = staff.action.package_show(id="residents")
    assert residents["private"] is True and residents["license_id"] == "gov-internal"
    citizen = ckanapi.RemoteCKAN(live.url, apikey=city.token("applicant"))
    names = {p["name"] for p in citizen.action.package_search(include_private=True)["results"]}
    assert names == {*OPEN, "clinics"}  # citizens see what is open, even on application
    with pytest.raises(ckanapi.NotFound):
        citizen.action.package_show(id="residents")


def test_organizations_groups_and_tags(live: LiveApp, city: OpenCity) -> None:
    ck = anonymous(live)
    assert ck.action.organization_list() == ["hbj", "jtj"]
    full = ck.action.organization_list(all_fields=True, sort="packages desc")
    assert [(o["name"], o["package_count"]) for o in full] == [("jtj", 2), ("hbj", 1)]
    org = ck.action.organization_show(id="jtj", include_datasets=True)
    assert org["title"] == "交通运输局" and org["is_organization"] is True
    assert {p["name"] for p in org["packages"]} == {"bus-stops", "road-works"}
    assert ck.action.organization_show(id="JTJ")["name"] == "jtj"
    with pytest.raises(ckanapi.NotFound):
        ck.action.organization_show(id="tjj")  # publishes nothing open
    admin = ckanapi.RemoteCKAN(live.url, apikey=city.token("admin"))
    assert {"gaj", "tjj", "wjw"} <= set(admin.action.organization_list())

    assert ck.action.group_list() == ["environment", "transport"]
    group = ck.action.group_list(all_fields=True)[1]
    assert group["title"] == "交通出行" and group["package_count"] == 2
    assert ck.action.group_show(id="transport")["display_name"] == "交通出行"

    tags = ck.action.tag_list()
    assert {"公交", "空气", "道路"} <= set(tags) and "医疗" not in tags
    assert ck.action.tag_list(query="公") == ["公交"]
    assert ck.action.tag_list(all_fields=True, query="空")[0]["name"] == "空气"


def test_both_api_prefixes_and_the_version_probe(live: LiveApp) -> None:
    for prefix in ("/api/3/action/", "/api/action/"):
        body = httpx.get(f"{live.url}{prefix}package_list", timeout=10).json()
        assert body["success"] is True and body["result"] == OPEN
        assert body["help"].endswith("/api/3/action/help_show?name=package_list")
    assert httpx.get(f"{live.url}/api/3", timeout=10).json() == {"version": 3}
    help_text = anonymous(live).action.help_show(name="package_search")
    assert "facet.field" in help_text
