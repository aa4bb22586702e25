"""Authentication routes, mounted at /api/auth/."""

from django.urls import path

from accounts import views

app_name = "auth"
urlpatterns = [
    path("login/", views.SessionLoginView.as_view(), name="login"),
    path("logout/", views.SessionLogoutView.as_view(), name="logout"),
    path("token/", views.ObtainTokenView.as_view(), name="token"),
    path("jwt/", views.JWTObtainView.as_view(), name="jwt-obtain"),
    path("jwt/refresh/", views.JWTRefreshView.as_view(), name="jwt-refresh"),
    path("jwt/logout/", views.JWTLogoutView.as_view(), name="jwt-logout"),
    path("jwt/verify/", views.JWTVerifyView.as_view(), name="jwt-verify"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/delete/", views.DeleteUserView.as_view(), name="delete-user"),
]
