from api_support import api, live_api

__all__ = ["api", "live_api"]
