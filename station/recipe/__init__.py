"""Recipes and gauge profiles: what to write into a pack, validated before any pack sees it.

The sequence uses, in order::

    recipe = load_recipe(path, ProfileLibrary([extra_dir]))      # RecipeInvalid lists problems
    recipe.content_hash, recipe.canonical_text                   # what the database pins
    unit = recipe.identify(scanned)                              # SerialRejected
    recipe.check_identity(device_type, "1.09")                   # FirmwareMismatch
    target = recipe.target(scanned, today)                       # parameters + per-unit bytes
    current = DataFlashImage.read_from(gauge, target.blocks())   # through the gauge driver
    plan = recipe.plan(target, current)                          # PlanError when unsafe
    recipe.profile.check_write_allowed(plan.parameters_written, emulated=bus.emulated)
    plan.backup_blocks, plan.writes, plan.verify, plan.final_check, plan.changes
    recipe.checks.evaluate(...), recipe.label, recipe.security, recipe.backup
"""

from station.recipe.errors import (
    CodecError,
    FileFormatError,
    FirmwareMismatch,
    FlashStreamFailed,
    PlanError,
    Problem,
    ProblemsError,
    ProfileInvalid,
    ProfileNotFound,
    RecipeError,
    RecipeInvalid,
    SerialRejected,
    UnverifiedWriteRefused,
)
from station.recipe.planning.writes import (
    BlockCheck,
    BusEstimate,
    DFWrite,
    PlannedChange,
    Target,
    WritePlan,
    plan_writes,
)
from station.recipe.product.checks import CheckOutcome, PostChecks
from station.recipe.product.recipe_loader import load_recipe
from station.recipe.product.recipe_model import LabelFields, Recipe, ReferencedFile, Setting
from station.recipe.product.sections import BackupPolicy, SecuritySettings
from station.recipe.product.serial import SerialRule, UnitIdentity
from station.recipe.profile.dftypes import DFType, RawValue, decode_sbs_date, sbs_date
from station.recipe.profile.image import (
    BLOCK_SIZE,
    DF_END,
    DF_SIZE,
    DF_START,
    WRITABLE_END,
    DataFlashAccess,
    DataFlashImage,
    block_of,
)
from station.recipe.profile.library import ProfileLibrary, package_profile_dir
from station.recipe.profile.parameter import BitField, Parameter
from station.recipe.profile.profile_loader import load_profile
from station.recipe.profile.profile_model import Profile, Timing, UnknownParameter
from station.recipe.ti.flashstream import (
    FlashStream,
    FlashStreamProgress,
    FlashStreamResult,
    SMBusPrimitives,
    parse_flashstream,
    run_flashstream,
)
from station.recipe.ti.golden import GoldenImage, load_golden

__all__ = [
    "BLOCK_SIZE",
    "DF_END",
    "DF_SIZE",
    "DF_START",
    "WRITABLE_END",
    "BackupPolicy",
    "BitField",
    "BlockCheck",
    "BusEstimate",
    "CheckOutcome",
    "CodecError",
    "DFType",
    "DFWrite",
    "DataFlashAccess",
    "DataFlashImage",
    "FileFormatError",
    "FirmwareMismatch",
    "FlashStream",
    "FlashStreamFailed",
    "FlashStreamProgress",
    "FlashStreamResult",
    "GoldenImage",
    "LabelFields",
    "Parameter",
    "PlanError",
    "PlannedChange",
    "PostChecks",
    "Problem",
    "ProblemsError",
    "Profile",
    "ProfileInvalid",
    "ProfileLibrary",
    "ProfileNotFound",
    "RawValue",
    "Recipe",
    "RecipeError",
    "RecipeInvalid",
    "ReferencedFile",
    "SMBusPrimitives",
    "SecuritySettings",
    "SerialRejected",
    "SerialRule",
    "Setting",
    "Target",
    "Timing",
    "UnitIdentity",
    "UnknownParameter",
    "UnverifiedWriteRefused",
    "WritePlan",
    "block_of",
    "decode_sbs_date",
    "load_golden",
    "load_profile",
    "load_recipe",
    "package_profile_dir",
    "parse_flashstream",
    "plan_writes",
    "run_flashstream",
    "sbs_date",
]
