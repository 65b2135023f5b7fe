"""The staff user behind an API request, read with what its checks need in two statements.

Every staff API request authenticates its user, checks a model permission and, for staff
limited to some stores, which stores. Through the ORM that is four queries (the user, its
own permissions, its groups' permissions, its stores), each compiled anew. Here the user is
one statement and, for staff who are not superusers, their permissions and stores one more;
nothing is cached between requests, so a deactivated user or a store taken away counts on
the very next request.
"""

from django.contrib.auth.models import AbstractBaseUser, Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from config.rows import RowReader
from customers.models import Store

_USER_ROWS = RowReader(User)
_USER_SQL = f'SELECT {_USER_ROWS.columns("u")} FROM "{User._meta.db_table}" u WHERE u.id = %s'


def _grants_sql() -> str:
    """Permission names (`app_label.codename`) from the user and its groups, then its stores."""

    def table(model) -> str:
        return f'"{model._meta.db_table}"'

    name = "ct.app_label || '.' || p.codename"
    permissions = (
        f"FROM {table(Permission)} p JOIN {table(ContentType)} ct ON ct.id = p.content_type_id"
    )
    return (
        f"SELECT {name}, CAST(NULL AS INTEGER) {permissions}"
        f" JOIN {table(User.user_permissions.through)} up ON up.permission_id = p.id"
        " WHERE up.user_id = %s"
        f" UNION SELECT {name}, CAST(NULL AS INTEGER) {permissions}"
        f" JOIN {table(Group.permissions.through)} gp ON gp.permission_id = p.id"
        f" JOIN {table(User.groups.through)} ug ON ug.group_id = gp.group_id"
        " WHERE ug.user_id = %s"
        " UNION ALL SELECT CAST(NULL AS VARCHAR(255)), store_id"
        f" FROM {table(Store.staff.through)} WHERE user_id = %s"
    )


_GRANTS_SQL = _grants_sql()


def staff_user_get(user_id: object) -> AbstractBaseUser | None:
    """The user `user_id`, its permissions and the stores it is limited to, or None.

    For a user who is not a superuser, `has_perm` then answers from what was read here
    (Django's ModelBackend keeps a user's permission names in `_perm_cache`), and
    `assigned_store_ids` holds the stores it is limited to (empty: every store).
    """
    try:
        user_id = User._meta.pk.get_prep_value(user_id)
    except (TypeError, ValueError):
        return None
    db = router.db_for_read(User)
    with connections[db].cursor() as cursor:
        cursor.execute(_USER_SQL, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = _USER_ROWS.instance(row, db)
    if user.is_superuser or not user.is_active:
        return user
    permissions: set[str] = set()
    store_ids: set[int] = set()
    with connections[db].cursor() as cursor:
        cursor.execute(_GRANTS_SQL, [user.pk, user.pk, user.pk])
        for permission, store_id in cursor.fetchall():
            if store_id is None:
                permissions.add(permission)
            else:
                store_ids.add(store_id)
    user._perm_cache = permissions
    user.assigned_store_ids = frozenset(store_ids)
    return user
