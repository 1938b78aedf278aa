"""The data hub catalog's service: the one door other domains (and the CKAN/DCAT layer) use.

Import it as ``from citybase.datahub import service as datahub_service``. Every function is
keyword-only, takes the caller's ``db_session`` and never commits; changes and reads of
rows are audited; errors are ``citybase.errors`` subclasses naming the field or row.

Datasets (metadata, DCAT-AP aligned)
    ``create_dataset``, ``update_dataset``, ``get_dataset``, ``find_dataset``,
    ``list_datasets``, ``search_datasets``, ``to_read`` (→ ``DatasetRead``), ``keywords_of``,
    ``dataset_columns``.
Versions
    ``load_version`` (ingest a file as the next immutable version; ``consent`` accepts a
    type loss or a large shrink), ``rollback_version`` (make an earlier version current
    again), ``LoadConsent``, ``SchemaChangeRefused``, ``ShrinkRefused``, ``list_versions``,
    ``get_version``, ``current_version``, ``version_path``, ``columns_of``, ``profile_of``,
    ``version_read`` / ``version_detail``.
Quality
    ``rules_of``, ``set_rules``, ``parse_rules_yaml``, ``run_quality``, ``latest_quality``,
    ``quality_text`` (the one way to write the quality figure: "99.7 %"), ``rule_kinds``.
Rows (data API)
    ``read_rows``, ``export_rows``, ``parse_filter``, ``parse_sort``, ``decode_cursor``.
Elements (一数一源)
    ``list_elements``, ``get_element``, ``create_element``, ``load_elements_file``,
    ``bind_column``, ``unbind``, ``element_read``, ``bindings_of_dataset``,
    ``check_consistency``.
Lineage, usage, authorisation
    ``record_lineage``, ``lineage``, ``high_frequency``, ``dataset_usage``,
    ``can_read``, ``ensure_can_read``, ``can_edit``, ``sees_metadata``, ``reads_on`` (a
    day's reads: by the public, downloads; the dashboard's figures).
Vocabularies
    ``themes``, ``licences`` (city-replaceable lists), and the enums in
    ``citybase.datahub.enums`` (sharing/open types, update frequency with DCAT codes).
"""

from __future__ import annotations

from citybase.datahub.access import (
    can_edit,
    can_read,
    ensure_can_read,
    sees_metadata,
)
from citybase.datahub.catalog import (
    create_dataset,
    dataset_columns,
    find_dataset,
    get_dataset,
    keywords_of,
    list_datasets,
    search_datasets,
    to_read,
    update_dataset,
)
from citybase.datahub.consistency import check_consistency
from citybase.datahub.elements import (
    bind_column,
    bindings_of_dataset,
    create_element,
    element_read,
    get_element,
    list_elements,
    load_elements_file,
    unbind,
)
from citybase.datahub.guards import SchemaChangeRefused, ShrinkRefused
from citybase.datahub.lineage import lineage, record_lineage
from citybase.datahub.loading import load_version
from citybase.datahub.rollback import rollback_version
from citybase.datahub.rows import (
    decode_cursor,
    export_rows,
    parse_filter,
    parse_sort,
    read_rows,
)
from citybase.datahub.rule_kinds import rule_kinds
from citybase.datahub.rules import parse_rules_yaml, rules_of, set_rules
from citybase.datahub.schemas import RollbackReport
from citybase.datahub.scope import can_read_rows, read_access
from citybase.datahub.score import quality_text
from citybase.datahub.themes import licences, themes
from citybase.datahub.types import LoadConsent
from citybase.datahub.usage import dataset_usage, high_frequency, reads_on
from citybase.datahub.versions import (
    LoadRejected,
    columns_of,
    current_version,
    get_version,
    latest_quality,
    list_versions,
    profile_of,
    run_quality,
    version_path,
)
from citybase.datahub.versions import to_detail as version_detail
from citybase.datahub.versions import to_read as version_read

__all__ = [
    "LoadConsent",
    "LoadRejected",
    "RollbackReport",
    "SchemaChangeRefused",
    "ShrinkRefused",
    "bind_column",
    "bindings_of_dataset",
    "can_edit",
    "can_read",
    "can_read_rows",
    "check_consistency",
    "columns_of",
    "create_dataset",
    "create_element",
    "current_version",
    "dataset_columns",
    "dataset_usage",
    "decode_cursor",
    "element_read",
    "ensure_can_read",
    "export_rows",
    "find_dataset",
    "get_dataset",
    "get_element",
    "get_version",
    "high_frequency",
    "keywords_of",
    "latest_quality",
    "licences",
    "lineage",
    "list_datasets",
    "list_elements",
    "list_versions",
    "load_elements_file",
    "load_version",
    "parse_filter",
    "parse_rules_yaml",
    "parse_sort",
    "profile_of",
    "quality_text",
    "read_access",
    "read_rows",
    "reads_on",
    "record_lineage",
    "rollback_version",
    "rule_kinds",
    "rules_of",
    "run_quality",
    "search_datasets",
    "sees_metadata",
    "set_rules",
    "themes",
    "to_read",
    "unbind",
    "update_dataset",
    "version_detail",
    "version_path",
    "version_read",
]
