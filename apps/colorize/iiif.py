"""The colorize app's part in IIIF: variants as images of the Image API ("variant-<id>"), and
the approved colorization as a choice beside the original in a photograph's Manifest."""
from __future__ import annotations

from typing import BinaryIO

from apps.collections.access import photograph_access, public_access_is_full
from apps.collections.iiif_presentation import AlternativeImage
from apps.collections.iiif_sources import ImageSource

from . import selectors
from .services.pyramids import variant_pyramid_name


def variant_image_source(key: str, user) -> ImageSource | None:
    """Resolver for "variant-<id>": None (404) when there is no such variant or the user may not see it."""
    if not key.isdigit() or key.startswith("0"):
        return None
    variant = selectors.variant_visible_to(user).select_related("photograph").filter(pk=int(key)).first()
    if variant is None:
        return None
    image = variant.image
    # A colorization shows the photograph: the photograph's access level applies to it.
    access = photograph_access(variant.photograph, user)

    def open_pyramid() -> BinaryIO | None:
        try:
            return image.storage.open(variant_pyramid_name(variant.pk), "rb")
        except FileNotFoundError:
            return None  # its pyramid job has not run yet: tiles come from the image itself

    return ImageSource(
        open=lambda: image.storage.open(image.name, "rb"),
        width=variant.width,
        height=variant.height,
        version=variant.image_sha256,
        modified=variant.created_at,  # a variant's pixels never change
        is_public=selectors.variant_is_public(variant) and (not user.is_authenticated or public_access_is_full(variant.photograph)),
        rights=variant.photograph.rights_uri or None,
        max_side=access.max_side,
        restriction=access.reason,
        open_pyramid=open_pyramid,
    )


def approved_colorization_for(photograph) -> AlternativeImage | None:
    """The photograph's approved variant for its Manifest (the hook iiif_presentation offers)."""
    variant = selectors.approved_variant_for(photograph=photograph)
    if variant is None:
        return None
    model = variant.request.model_version
    return AlternativeImage(
        image_identifier=variant.image_identifier,
        width=variant.width,
        height=variant.height,
        label=f"AI colorization — model {model.name} {model.version}, seed {variant.seed}",
    )
