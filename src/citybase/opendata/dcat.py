"""DCAT-AP export of the open catalog: ``/catalog.ttl``, ``/catalog.jsonld``, ``/catalog.rdf``.

One ``dcat:Dataset`` per dataset open to everyone (无条件开放), each published version a
``dcat:Distribution``. Controlled values use the EU vocabularies DCAT-AP names (data themes,
frequencies, file types) so European and Chinese aggregators can map them; titles carry
``@zh`` (and ``@en`` where the catalog has English) language tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from sqlalchemy.orm import Session

from citybase.datahub.enums import FREQUENCY_DCAT, UpdateFrequency
from citybase.opendata.ckan import CKAN_RESPONSES
from citybase.opendata.views import DatasetView, OrgView, ResourceView
from citybase.web.openapi import body_types

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
PROV = Namespace("http://www.w3.org/ns/prov#")
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"

MEDIA_TYPES = {
    "CSV": "text/csv",
    "PARQUET": "application/vnd.apache.parquet",
    "JSON": "application/json",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "GEOJSON": "application/geo+json",
}

CONTEXT: dict[str, str] = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "skos": str(SKOS),
    "locn": str(LOCN),
    "adms": str(ADMS),
    "spdx": str(SPDX),
    "prov": str(PROV),
    "xsd": str(XSD),
}

router = APIRouter(tags=["open data: DCAT"])


def _bind(graph: Graph) -> None:
    for prefix, ns in CONTEXT.items():
        graph.bind(prefix, Namespace(ns))


def dataset_uri(base_url: str, view: DatasetView) -> URIRef:
    return URIRef(f"{base_url}/dataset/{view.name}")


def _publisher(graph: Graph, base_url: str, org: OrgView) -> URIRef:
    node = URIRef(f"{base_url}/organization/{org.name}")
    if (node, RDF.type, FOAF.Organization) not in graph:
        graph.add((node, RDF.type, FOAF.Organization))
        graph.add((node, RDF.type, FOAF.Agent))
        graph.add((node, FOAF.name, Literal(org.title_zh, lang="zh")))
        if org.title_en:
            graph.add((node, FOAF.name, Literal(org.title_en, lang="en")))
        graph.add((node, DCTERMS.identifier, Literal(org.code)))
    return node


def _distribution(graph: Graph, base_url: str, view: DatasetView, res: ResourceView) -> URIRef:
    node = URIRef(f"{base_url}/dataset/{view.name}/resource/{res.id}")
    fmt = res.format.upper()
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.title, Literal(res.name, lang="zh")))
    if res.description:
        graph.add((node, DCTERMS.description, Literal(res.description, lang="zh")))
    graph.add((node, DCAT.accessURL, URIRef(f"{base_url}/dataset/{view.name}")))
    graph.add((node, DCAT.downloadURL, URIRef(res.download_url)))
    graph.add((node, DCTERMS.format, URIRef(EU_FILE_TYPE + fmt)))
    if fmt in MEDIA_TYPES:
        graph.add(
            (
                node,
                DCAT.mediaType,
                URIRef(f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[fmt]}"),
            )
        )
    graph.add((node, DCTERMS.issued, Literal(res.created.isoformat(), datatype=XSD.dateTime)))
    graph.add(
        (node, DCTERMS.modified, Literal(res.last_modified.isoformat(), datatype=XSD.dateTime))
    )
    if res.size is not None:
        graph.add((node, DCAT.byteSize, Literal(res.size, datatype=XSD.nonNegativeInteger)))
    if res.checksum:
        checksum = BNode()
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add((checksum, SPDX.checksumValue, Literal(res.checksum, datatype=XSD.hexBinary)))
    if view.licence is not None:
        graph.add((node, DCTERMS.license, _licence(graph, base_url, view)))
    return node


def _licence(graph: Graph, base_url: str, view: DatasetView) -> URIRef:
    assert view.licence is not None
    lic = view.licence
    node = URIRef(lic.url) if lic.url else URIRef(f"{base_url}/licence/{lic.id}")
    if (node, RDF.type, DCTERMS.LicenseDocument) not in graph:
        graph.add((node, RDF.type, DCTERMS.LicenseDocument))
        graph.add((node, DCTERMS.title, Literal(lic.title_zh, lang="zh")))
        if lic.title_en:
            graph.add((node, DCTERMS.title, Literal(lic.title_en, lang="en")))
        graph.add((node, DCTERMS.identifier, Literal(lic.id)))
    return node


def _dataset(graph: Graph, base_url: str, view: DatasetView) -> URIRef:
    node = dataset_uri(base_url, view)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(view.id)))
    graph.add((node, ADMS.identifier, Literal(view.name)))
    graph.add((node, DCTERMS.title, Literal(view.title, lang="zh")))
    if view.description:
        graph.add((node, DCTERMS.description, Literal(view.description, lang="zh")))
    graph.add((node, DCTERMS.publisher, _publisher(graph, base_url, view.org)))
    graph.add((node, DCAT.landingPage, URIRef(view.landing_url)))
    graph.add((node, DCTERMS.issued, Literal(view.created.isoformat(), datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.modified, Literal(view.modified.isoformat(), datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.language, URIRef(EU_LANGUAGE + "ZHO")))
    for word in view.keywords:
        graph.add((node, DCAT.keyword, Literal(word, lang="zh")))
    if view.theme is not None:
        if view.theme.dcat:
            graph.add((node, DCAT.theme, URIRef(EU_THEME + view.theme.dcat)))
        local = URIRef(f"{base_url}/group/{view.theme.code}")
        graph.add((node, DCAT.theme, local))
        graph.add((local, RDF.type, SKOS.Concept))
        graph.add((local, SKOS.prefLabel, Literal(view.theme.name_zh, lang="zh")))
        if view.theme.name_en:
            graph.add((local, SKOS.prefLabel, Literal(view.theme.name_en, lang="en")))
    if view.frequency in UpdateFrequency.__members__:
        code = FREQUENCY_DCAT[UpdateFrequency(view.frequency)]
        graph.add((node, DCTERMS.accrualPeriodicity, URIRef(EU_FREQUENCY + code)))
    if view.temporal_start or view.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if view.temporal_start:
            graph.add(
                (
                    period,
                    DCAT.startDate,
                    Literal(view.temporal_start.isoformat(), datatype=XSD.date),
                )
            )
        if view.temporal_end:
            graph.add(
                (period, DCAT.endDate, Literal(view.temporal_end.isoformat(), datatype=XSD.date))
            )
    if view.spatial:
        place = BNode()
        graph.add((node, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, SKOS.prefLabel, Literal(view.spatial, lang="zh")))
    if view.licence is not None:
        graph.add((node, DCTERMS.license, _licence(graph, base_url, view)))
    contact = BNode()
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal(view.contact_name or view.org.title_zh, lang="zh")))
    if view.contact_email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{view.contact_email}")))
    for res in view.resources:
        graph.add((node, DCAT.distribution, _distribution(graph, base_url, view, res)))
    if view.derived_from:
        # A de-identified release: where it comes from and how (the policy's fingerprint).
        source = URIRef(f"{base_url}/dataset/{view.derived_from}")
        graph.add((node, DCTERMS.source, source))
        graph.add((node, PROV.wasDerivedFrom, source))
    if view.deid_policy:
        graph.add(
            (node, ADMS.versionNotes, Literal(f"de-identification policy {view.deid_policy}"))
        )
    return node


def catalog_graph(
    datasets: Iterable[DatasetView], *, base_url: str, title_zh: str, title_en: str
) -> Graph:
    """The whole open catalog as one RDF graph."""
    graph = Graph()
    _bind(graph)
    catalog = URIRef(f"{base_url}/catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal(title_zh, lang="zh")))
    graph.add((catalog, DCTERMS.title, Literal(title_en, lang="en")))
    graph.add(
        (catalog, DCTERMS.description, Literal("开放数据目录（无条件开放的数据集）", lang="zh"))
    )
    graph.add((catalog, DCTERMS.description, Literal("Open data catalogue", lang="en")))
    graph.add((catalog, FOAF.homepage, URIRef(f"{base_url}/")))
    graph.add((catalog, DCTERMS.language, URIRef(EU_LANGUAGE + "ZHO")))
    latest = None
    for view in datasets:
        graph.add((catalog, DCAT.dataset, _dataset(graph, base_url, view)))
        latest = view.modified if latest is None or view.modified > latest else latest
    if latest is not None:
        graph.add((catalog, DCTERMS.modified, Literal(latest.isoformat(), datatype=XSD.dateTime)))
    return graph


def serialize(graph: Graph, fmt: str) -> bytes:
    if fmt == "json-ld":
        data: Any = graph.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    else:
        data = graph.serialize(format=fmt)
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _graph_for(request: Request) -> Graph:
    from citybase.opendata.catalog_read import open_dataset_views, site_titles

    base_url = str(request.base_url).rstrip("/")
    db_session: Session = request.app.state.session_factory()
    try:
        settings = request.app.state.settings
        views = open_dataset_views(db_session=db_session, base_url=base_url, settings=settings)
        title_zh, title_en = site_titles(settings)
    finally:
        db_session.close()
    return catalog_graph(views, base_url=base_url, title_zh=title_zh, title_en=title_en)


TURTLE = "text/turtle; charset=utf-8"


@router.get(
    "/catalog",
    summary="DCAT-AP catalog (content negotiation)",
    responses={
        303: {"description": "To /catalog.ttl, /catalog.jsonld or /catalog.rdf by Accept."},
        **body_types(TURTLE, "application/ld+json", "application/rdf+xml"),
    },
)
def catalog_negotiated(request: Request) -> RedirectResponse:
    """The catalog's URI: redirects to the serialisation the ``Accept`` header asks for."""
    accept = request.headers.get("accept", "")
    target = "/catalog.ttl"
    if "application/ld+json" in accept or "application/json" in accept:
        target = "/catalog.jsonld"
    elif "application/rdf+xml" in accept:
        target = "/catalog.rdf"
    return RedirectResponse(target, status_code=303)


@router.get(
    "/dataset/{name}",
    summary="A dataset's public address",
    responses={
        303: {"description": "To the catalog page or CKAN's package_show."},
        **CKAN_RESPONSES,
    },
)
def dataset_page(name: str, request: Request) -> RedirectResponse:
    """Where dataset URIs lead: a signed-in browser to the catalog page, any other browser to
    the open-data portal's page, and API clients to the dataset's CKAN record
    (``package_show``); the last two answer 404 if it is not open to them."""
    from citybase.identity.deps import SESSION_COOKIE

    if request.cookies.get(SESSION_COOKIE):
        return RedirectResponse(f"/datahub/datasets/{name}", status_code=303)
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"/open/dataset/{name}", status_code=303)
    return RedirectResponse(f"/api/3/action/package_show?id={name}", status_code=303)


@router.get("/catalog.ttl", summary="DCAT-AP catalog (Turtle)", responses=body_types(TURTLE))
def catalog_turtle(request: Request) -> Response:
    """Every dataset open to everyone, as DCAT-AP in Turtle."""
    return Response(serialize(_graph_for(request), "turtle"), media_type=TURTLE)


@router.get(
    "/catalog.jsonld",
    summary="DCAT-AP catalog (JSON-LD)",
    responses=body_types("application/ld+json"),
)
def catalog_jsonld(request: Request) -> Response:
    """Every dataset open to everyone, as DCAT-AP in JSON-LD (compacted with dcat/dct/foaf)."""
    return Response(serialize(_graph_for(request), "json-ld"), media_type="application/ld+json")


@router.get(
    "/catalog.rdf",
    summary="DCAT-AP catalog (RDF/XML)",
    responses=body_types("application/rdf+xml"),
)
def catalog_rdfxml(request: Request) -> Response:
    """Every dataset open to everyone, as DCAT-AP in RDF/XML (for older harvesters)."""
    return Response(serialize(_graph_for(request), "xml"), media_type="application/rdf+xml")
