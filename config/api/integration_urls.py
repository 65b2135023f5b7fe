"""Integration API (TWC dialect) routes, mounted under /api/v2/.

The router puts `customers/search`, `customers/validate` and `customers/{customerRef}/ref`
(collection actions) before `customers/{id}`, which would otherwise take them for an id.
"""

from config.api.routers import DialectRouter
from customers.api.integration import CustomerUploadViewSet, CustomerViewSet

router = DialectRouter()
router.register("customers", CustomerViewSet)
router.register("upload-customers", CustomerUploadViewSet)

urlpatterns = router.urls
