"""A local stand-in of the Gmail, Calendar and Drive REST APIs."""
