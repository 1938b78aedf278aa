"""The DCAT-AP export parsed back with rdflib: one record per open dataset, DCAT-AP terms."""

from __future__ import annotations

from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic

from tests.opendata.conftest import OpenCity

EU = "http://publications.europa.eu/resource/authority/"


def turtle(client: TestClient) -> Graph:
    got = client.get("/catalog.ttl")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=got.text, format="turtle")


def dataset_node(graph: Graph, title: str) -> URIRef:
    (node,) = [
        s
        for s in graph.subjects(ns.DCTERMS.title, Literal(title, lang="zh"))
        if (s, ns.RDF.type, ns.DCAT.Dataset) in graph
    ]
    assert isinstance(node, URIRef)
    return node


def test_one_record_per_open_dataset(client: TestClient, city: OpenCity) -> None:
    graph = turtle(client)
    (catalog,) = list(graph.subjects(ns.RDF.type, ns.DCAT.Catalog))
    datasets = set(graph.subjects(ns.RDF.type, ns.DCAT.Dataset))
    assert datasets == set(graph.objects(catalog, ns.DCAT.dataset))
    titles = {str(graph.value(d, ns.DCTERMS.title)) for d in datasets}
    assert titles == {"公交站点", "空气质量监测", "道路施工计划"}  # not clinics, not residents


def test_dataset_properties_follow_dcat_ap(client: TestClient, city: OpenCity) -> None:
    graph = turtle(client)
    bus = dataset_node(graph, "公交站点")
    assert str(bus).endswith("/dataset/bus-stops")
    assert graph.value(bus, ns.DCTERMS.description) == Literal(
        "全市公交站点位置、客流与无障碍设施。", lang="zh"
    )
    publisher = graph.value(bus, ns.DCTERMS.publisher)
    assert (publisher, ns.RDF.type, ns.FOAF.Organization) in graph
    assert Literal("交通运输局", lang="zh") in set(graph.objects(publisher, ns.FOAF.name))
    assert set(graph.objects(bus, ns.DCAT.keyword)) == {
        Literal(w, lang="zh") for w in ("公交", "站点", "客流")
    }
    themes = set(graph.objects(bus, ns.DCAT.theme))
    assert URIRef(EU + "data-theme/TRAN") in themes
    local = next(t for t in themes if str(t).endswith("/group/transport"))
    assert graph.value(local, ns.SKOS.prefLabel, any=True) is not None
    assert graph.value(bus, ns.DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert graph.value(bus, ns.DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/DAILY")
    period = graph.value(bus, ns.DCTERMS.temporal)
    assert (period, ns.RDF.type, ns.DCTERMS.PeriodOfTime) in graph
    assert str(graph.value(period, ns.DCAT.startDate)) == "2020-01-01"
    assert str(graph.value(period, ns.DCAT.endDate)) == "2024-12-31"
    place = graph.value(bus, ns.DCTERMS.spatial)
    assert graph.value(place, ns.SKOS.prefLabel) == Literal("示范市", lang="zh")
    assert graph.value(bus, ns.DCTERMS.modified) is not None


def test_distributions_point_at_the_data(client: TestClient, city: OpenCity) -> None:
    graph = turtle(client)
    bus = dataset_node(graph, "公交站点")
    (dist,) = list(graph.objects(bus, ns.DCAT.distribution))
    assert (dist, ns.RDF.type, ns.DCAT.Distribution) in graph
    assert graph.value(dist, ns.DCTERMS.format) == URIRef(EU + "file-type/CSV")
    download = str(graph.value(dist, ns.DCAT.downloadURL))
    assert graph.value(dist, ns.DCAT.accessURL) is not None
    path = download.split("://", 1)[1].split("/", 1)[1]
    got = client.get("/" + path)
    assert got.status_code == 200
    assert got.content.decode("utf-8-sig").splitlines()[0].startswith("站点编号,站点名称")
    assert int(graph.value(dist, ns.DCAT.byteSize)) > 0
    # a dataset without data yet has no distribution
    assert list(graph.objects(dataset_node(graph, "道路施工计划"), ns.DCAT.distribution)) == []


def test_jsonld_and_rdfxml_carry_the_same_graph(client: TestClient, city: OpenCity) -> None:
    graph = turtle(client)
    got = client.get("/catalog.jsonld")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/ld+json")
    assert "dcat" in got.json()["@context"]
    from_jsonld = Graph().parse(data=got.text, format="json-ld")
    assert isomorphic(graph, from_jsonld)
    from_xml = Graph().parse(data=client.get("/catalog.rdf").text, format="xml")
    assert isomorphic(graph, from_xml)


def test_catalog_uri_negotiates_and_dataset_uris_resolve(
    client: TestClient, city: OpenCity
) -> None:
    got = client.get("/catalog", headers={"Accept": "application/ld+json"}, follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"] == "/catalog.jsonld"
    assert client.get("/catalog", follow_redirects=False).headers["location"] == "/catalog.ttl"
    record = client.get("/dataset/bus-stops")
    assert record.status_code == 200 and record.json()["result"]["name"] == "bus-stops"
    assert client.get("/dataset/residents").status_code == 404


def test_an_empty_catalog_is_still_a_catalog(client: TestClient) -> None:
    graph = turtle(client)
    assert len(list(graph.subjects(ns.RDF.type, ns.DCAT.Catalog))) == 1
    assert list(graph.subjects(ns.RDF.type, ns.DCAT.Dataset)) == []
