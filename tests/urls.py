from tests.herdcache import views

urlpatterns = views.urlpatterns
