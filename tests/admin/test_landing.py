"""`/` is a small landing page linking the admin, the API docs and the health probes."""

import pytest


def test_landing_page_links_the_admin_the_docs_and_the_health_check(client, db):
    # when
    response = client.get("/")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    content = response.content.decode()
    assert "<title>Clientele</title>" in content
    for link in ("/admin/", "/api/docs/", "/api/schema/", "/healthz", "/readyz"):
        assert f'<a href="{link}">' in content


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/admin/", 302, id="admin_login_case"),
        pytest.param("/api/docs/", 200, id="docs_case"),
        pytest.param("/api/schema/", 200, id="schema_case"),
        pytest.param("/healthz", 200, id="health_case"),
        pytest.param("/readyz", 200, id="ready_case"),
    ],
)
def test_every_landing_link_answers(client, db, path, status):
    # when
    response = client.get(path)

    # then
    assert response.status_code == status


def test_landing_page_answers_head_and_refuses_writes(client, db):
    # when
    head = client.head("/")
    post = client.post("/")

    # then
    assert (head.status_code, head.content) == (200, b"")
    assert post.status_code == 405
    assert post["Allow"] == "GET, HEAD"


def test_admin_view_site_link_points_at_the_landing_page(admin_client):
    # when
    response = admin_client.get("/admin/")

    # then
    assert '<a href="/">View site</a>' in response.content.decode()
