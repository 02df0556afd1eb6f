import pytest


@pytest.mark.django_db
def test_home_page_names_the_clinic(client, clinic):
    response = client.get("/")
    assert response.status_code == 200
    assert clinic.name in response.content.decode()
