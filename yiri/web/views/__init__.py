"""Web pages. Every view parses the request, fetches what it touches through
``access_record`` or ``visible_to`` (404 for an outsider), calls one service and responds."""
