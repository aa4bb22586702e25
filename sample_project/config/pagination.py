"""Pagination shared by every list endpoint of the API."""

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``?page=N`` with 20 items by default; clients may ask for up to 100 with ``?page_size=``.

    The cap matters: without it one request could ask for every row in the table.
    A page_size that is not a positive integer falls back to the default; a page
    past the end is a 404 (DRF's behaviour).
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
