"""Data elements and one data, one source (一数一源).

The registry lists data elements (数据元: 公民身份号码, 户籍地址 …). A dataset column holds an
element either as its one authority (权威来源) or as a replica; a second authority claim is
refused with the name of the existing one. ``citybase.datahub.consistency`` compares the
replicas' values with the authority's.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from citybase.audit import service as audit_service
from citybase.datahub import access, catalog
from citybase.datahub.enums import BindingRole
from citybase.datahub.models import DataElement, Dataset, ElementBinding
from citybase.datahub.schemas import (
    BindingCreate,
    BindingRead,
    ElementCreate,
    ElementRead,
)
from citybase.errors import Conflict, NotFound, ValidationFailed
from citybase.identity.models import User

# --- registry ----------------------------------------------------------------------------


def list_elements(*, db_session: Session) -> list[DataElement]:
    return list(db_session.scalars(select(DataElement).order_by(DataElement.code)))


def get_element(*, db_session: Session, code: str) -> DataElement:
    element = db_session.scalar(select(DataElement).where(DataElement.code == code))
    if element is None:
        raise NotFound(
            f"No data element '{code}'. See the registry at /datahub/elements.", field="code"
        )
    return element


def create_element(*, db_session: Session, actor: User | None, data: ElementCreate) -> DataElement:
    access.ensure_steward(actor, what="register data elements")
    if db_session.scalar(select(DataElement).where(DataElement.code == data.code)) is not None:
        raise Conflict(f"Data element '{data.code}' already exists.", field="code")
    if db_session.scalar(select(DataElement).where(DataElement.name == data.name)) is not None:
        raise Conflict(f"A data element is already called '{data.name}'.", field="name")
    element = DataElement(**data.model_dump())
    db_session.add(element)
    db_session.flush()
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.element.create",
        object_type="data_element",
        object_id=element.code,
        detail=data.model_dump(),
    )
    return element


def load_elements_file(*, db_session: Session, actor: User | None, path: Path) -> int:
    """Create the elements of a registry YAML that do not exist yet (validated as a whole)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationFailed(f"Element file not found: {path}", field="path") from None
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{path} is not valid YAML: {exc}", field="path") from None
    items = raw.get("elements") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise ValidationFailed(f"{path}: expected a non-empty 'elements' list.", field="path")
    parsed: list[ElementCreate] = []
    for i, item in enumerate(items, start=1):
        try:
            parsed.append(ElementCreate.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValidationFailed(
                f"{path}: element #{i}: {where}: {first['msg']}.", field=f"elements[{i}].{where}"
            ) from None
    codes = [p.code for p in parsed]
    dup = next((c for c in codes if codes.count(c) > 1), None)
    if dup:
        raise ValidationFailed(f"{path}: element code '{dup}' appears twice.", field="elements")
    existing = {e.code for e in list_elements(db_session=db_session)}
    created = 0
    for data in parsed:
        if data.code not in existing:
            create_element(db_session=db_session, actor=actor, data=data)
            created += 1
    return created


# --- bindings ----------------------------------------------------------------------------


def bindings_of_dataset(*, db_session: Session, dataset: Dataset) -> list[ElementBinding]:
    return list(
        db_session.scalars(
            select(ElementBinding)
            .where(ElementBinding.dataset_id == dataset.id)
            .order_by(ElementBinding.column)
        )
    )


def bindings_of_element(*, db_session: Session, element: DataElement) -> list[ElementBinding]:
    return list(
        db_session.scalars(
            select(ElementBinding)
            .where(ElementBinding.element_id == element.id)
            .order_by(ElementBinding.role, ElementBinding.id)
        )
    )


def authority_of(*, db_session: Session, element: DataElement) -> ElementBinding | None:
    return db_session.scalar(
        select(ElementBinding).where(
            ElementBinding.element_id == element.id, ElementBinding.role == BindingRole.authority
        )
    )


def _present_columns(db_session: Session, dataset: Dataset) -> set[str] | None:
    if dataset.current_version is None:
        return None
    return {c.name for c in catalog.dataset_columns(db_session=db_session, dataset=dataset)}


def bind_column(
    *, db_session: Session, actor: User | None, code: str, data: BindingCreate
) -> ElementBinding:
    """Declare that ``data.column`` of ``data.dataset`` holds element ``code``."""
    element = get_element(db_session=db_session, code=code)
    dataset = catalog.get_dataset(
        db_session=db_session, name=data.dataset, viewer=actor, check=actor is not None
    )
    access.ensure_can_edit(actor, dataset, what="bind data elements to")
    present = _present_columns(db_session, dataset)
    for field_name, col in (("column", data.column), ("key_column", data.key_column)):
        if col is not None and present is not None and col not in present:
            raise ValidationFailed(
                f"Dataset '{dataset.name}' has no column '{col}' in its current version. "
                f"Columns: {', '.join(sorted(present))}.",
                field=field_name,
            )
    if data.role == BindingRole.authority:
        current = authority_of(db_session=db_session, element=element)
        if current is not None and not (
            current.dataset_id == dataset.id and current.column == data.column
        ):
            raise Conflict(
                f"Data element {element.name} ({element.code}) already has its authoritative "
                f"source: column '{current.column}' of dataset '{current.dataset.name}' "
                f"({current.dataset.title}, {current.dataset.department.name_zh}). One data, one "
                "source: bind this column as a replica instead.",
                field="role",
                code="authority_exists",
            )
    binding = db_session.scalar(
        select(ElementBinding).where(
            ElementBinding.element_id == element.id,
            ElementBinding.dataset_id == dataset.id,
            ElementBinding.column == data.column,
        )
    )
    if binding is None:
        binding = ElementBinding(element_id=element.id, dataset_id=dataset.id, column=data.column)
        db_session.add(binding)
    binding.role = data.role.value
    binding.key_column = data.key_column
    binding.created_by_name = actor.username if actor else "system"
    try:
        with db_session.begin_nested():
            db_session.flush()
    except IntegrityError:
        raise Conflict(
            f"Data element {element.name} got an authoritative source at the same moment; "
            "reload and bind this column as a replica.",
            field="role",
            code="authority_exists",
        ) from None
    catalog.reindex(db_session=db_session, dataset=dataset)
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.element.bind",
        object_type="data_element",
        object_id=element.code,
        detail={
            "dataset": dataset.name,
            "column": data.column,
            "role": data.role.value,
            "key_column": data.key_column,
        },
    )
    return binding


def unbind(*, db_session: Session, actor: User | None, code: str, binding_id: int) -> None:
    element = get_element(db_session=db_session, code=code)
    binding = db_session.get(ElementBinding, binding_id)
    if binding is None or binding.element_id != element.id:
        raise NotFound(f"Element {code} has no binding {binding_id}.", field="binding_id")
    access.ensure_can_edit(actor, binding.dataset, what="unbind data elements of")
    dataset = binding.dataset
    detail = {"dataset": dataset.name, "column": binding.column, "role": binding.role}
    db_session.delete(binding)
    db_session.flush()
    catalog.reindex(db_session=db_session, dataset=dataset)
    audit_service.record(
        db_session,
        actor=actor,
        action="datahub.element.unbind",
        object_type="data_element",
        object_id=code,
        detail=detail,
    )


def binding_read(b: ElementBinding) -> BindingRead:
    return BindingRead(
        id=b.id,
        element_code=b.element.code,
        element_name=b.element.name,
        dataset=b.dataset.name,
        dataset_title=b.dataset.title,
        department_code=b.dataset.department.code,
        column=b.column,
        role=BindingRole(b.role),
        key_column=b.key_column,
    )


def element_read(*, db_session: Session, element: DataElement) -> ElementRead:
    bindings = bindings_of_element(db_session=db_session, element=element)
    auth = next((b for b in bindings if b.role == BindingRole.authority), None)
    return ElementRead(
        code=element.code,
        name=element.name,
        description=element.description,
        data_type=element.data_type,
        identifier_scheme=element.identifier_scheme,
        standard=element.standard,
        authority=binding_read(auth) if auth else None,
        replicas=[binding_read(b) for b in bindings if b.role == BindingRole.replica],
    )
