"""The router every dialect collects its viewsets with (STYLE: routers per dialect).

A `SimpleRouter` without trailing slashes (the seeds' paths have none) whose url names are
the ones the dialects always had: a viewset names its collection route
(`collection_url_name`) and its item route (`item_url_name`); an extra action names itself
in full with `@action(url_name=...)`. The collection route also maps `PUT`, `PATCH` and
`DELETE`, for the operations the seeds define on a collection path (TWC's update by body,
Glue's password change, and the refusals Glue answers with a code of its own).
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework.routers import DynamicRoute, Route, SimpleRouter

_COLLECTION = "{basename}-collection"
_ITEM = "{basename}-item"


class DialectAutoSchema(AutoSchema):
    """The schema of a dialect's viewset: every response is the dialect's own document.

    drf-spectacular would wrap the response of a `list` action in an array (and paginate
    it); each dialect documents its list envelope itself (`data` + `links` + `meta`, the
    JSON:API document), so no response is wrapped again.
    """

    def _is_list_view(self, serializer=None) -> bool:
        return False

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        # An example written without a media type is JSON; the Storefront's JSON:API media
        # type carries the same documents, so it shows the same examples.
        if media_type == "application/vnd.api+json":
            media_type = "application/json"
        return super()._get_examples(serializer, direction, media_type, status_code, extras)


class DialectRouter(SimpleRouter):
    routes = [
        Route(
            url=r"^{prefix}{trailing_slash}$",
            mapping={
                "get": "list",
                "post": "create",
                "put": "collection_update",
                "patch": "collection_partial_update",
                "delete": "collection_destroy",
            },
            name=_COLLECTION,
            detail=False,
            initkwargs={"suffix": "List"},
        ),
        DynamicRoute(
            url=r"^{prefix}/{url_path}{trailing_slash}$",
            name="{url_name}",
            detail=False,
            initkwargs={},
        ),
        Route(
            url=r"^{prefix}/{lookup}{trailing_slash}$",
            mapping={
                "get": "retrieve",
                "put": "update",
                "patch": "partial_update",
                "delete": "destroy",
            },
            name=_ITEM,
            detail=True,
            initkwargs={"suffix": "Instance"},
        ),
        DynamicRoute(
            url=r"^{prefix}/{lookup}/{url_path}{trailing_slash}$",
            name="{url_name}",
            detail=True,
            initkwargs={},
        ),
    ]

    def __init__(self, *, optional_trailing_slash: bool = False) -> None:
        super().__init__(trailing_slash=False)
        if optional_trailing_slash:
            # Glue routes `/customers/` like `/customers` (SPEC 4): a slash may end any path.
            self.trailing_slash = "/?"

    def register(self, prefix: str, viewset, basename: str | None = None) -> None:
        super().register(prefix, viewset, basename=basename or viewset.collection_url_name)

    def get_routes(self, viewset) -> list:
        names = {
            _COLLECTION: getattr(viewset, "collection_url_name", None),
            _ITEM: getattr(viewset, "item_url_name", None),
        }
        return [
            route._replace(name=names.get(route.name) or route.name)
            for route in super().get_routes(viewset)
        ]
