"""Chinese identifiers: validate, explain and generate them, one at a time or in bulk.

Used by the demo city's generator, the data hub's quality rules and PII detection. Every
validator raises only ``citybase.errors.ValidationFailed`` (naming the field and the
problem); every ``is_valid_*`` returns a bool and never raises.
"""

from citybase.identifiers.areacodes import (
    AreaCode,
    LandlineArea,
    area_codes,
    areas_in_prefecture,
    areas_with_status,
    is_known_area_code,
    landline_area_codes,
    lookup_area,
)
from citybase.identifiers.idcard import (
    IdCardInfo,
    Sex,
    generate_id_number,
    id_number_check_digit,
    id_number_check_digit_array,
    is_valid_id_number,
    is_valid_id_number_array,
    normalise_id_number,
    upgrade_id_number,
    validate_id_number,
)
from citybase.identifiers.luhn import luhn_check_digit, luhn_valid
from citybase.identifiers.phone import (
    Landline,
    generate_mobile,
    generate_mobile_array,
    is_valid_landline,
    is_valid_mobile,
    normalise_landline,
    normalise_mobile,
    parse_landline,
)
from citybase.identifiers.plate import (
    PROVINCE_ABBREVIATIONS,
    PlateInfo,
    generate_plate,
    is_valid_plate,
    normalise_plate,
    validate_plate,
)
from citybase.identifiers.uscc import (
    UsccInfo,
    generate_uscc,
    is_valid_uscc,
    is_valid_uscc_array,
    normalise_uscc,
    organisation_code_check_char,
    uscc_check_char,
    validate_uscc,
)

__all__ = [
    "PROVINCE_ABBREVIATIONS",
    "AreaCode",
    "IdCardInfo",
    "Landline",
    "LandlineArea",
    "PlateInfo",
    "Sex",
    "UsccInfo",
    "area_codes",
    "areas_in_prefecture",
    "areas_with_status",
    "generate_id_number",
    "generate_mobile",
    "generate_mobile_array",
    "generate_plate",
    "generate_uscc",
    "id_number_check_digit",
    "id_number_check_digit_array",
    "is_known_area_code",
    "is_valid_id_number",
    "is_valid_id_number_array",
    "is_valid_landline",
    "is_valid_mobile",
    "is_valid_plate",
    "is_valid_uscc",
    "is_valid_uscc_array",
    "landline_area_codes",
    "lookup_area",
    "luhn_check_digit",
    "luhn_valid",
    "normalise_id_number",
    "normalise_landline",
    "normalise_mobile",
    "normalise_plate",
    "normalise_uscc",
    "organisation_code_check_char",
    "parse_landline",
    "upgrade_id_number",
    "uscc_check_char",
    "validate_id_number",
    "validate_plate",
    "validate_uscc",
]
