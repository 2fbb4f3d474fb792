package dev.portcullis.broker;

import static io.restassured.RestAssured.given;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import dev.portcullis.testkit.LocalKeycloak;

/** Calls the broker as a demo user, with a real token from the real Keycloak. */
public final class Api {

    private record CachedToken(String value, long fetchedAt) {
    }

    private static final Map<String, CachedToken> TOKENS = new ConcurrentHashMap<>();

    private Api() {
    }

    /** A fresh-enough access token (tokens live 5 minutes; refetch after one). */
    public static String token(String username) {
        CachedToken cached = TOKENS.get(username);
        if (cached == null || System.currentTimeMillis() - cached.fetchedAt() > 60_000) {
            cached = new CachedToken(LocalKeycloak.shared().accessToken(username), System.currentTimeMillis());
            TOKENS.put(username, cached);
        }
        return cached.value();
    }

    public static RequestSpecification as(String username) {
        return given().auth().oauth2(token(username)).contentType(ContentType.JSON);
    }

    public static RequestSpecification anonymous() {
        return given().contentType(ContentType.JSON);
    }

    /** Alice asks for ubuntu on prod-web-1; returns the new request's id. */
    public static String aliceRequestsWeb() {
        return as("alice").body(Map.of("target", "prod-web-1", "login", "ubuntu", "durationMinutes", 60,
                        "reason", "INC-1234 disk full on prod-web-1", "ticket", "INC-1234"))
                .post("/api/v1/requests").then().statusCode(201).extract().path("id");
    }

    public static Response approve(String username, String id) {
        return as(username).body(Map.of("comment", "ok")).post("/api/v1/requests/" + id + "/approve");
    }

    public static Response deny(String username, String id, String reason) {
        return as(username).body(Map.of("reason", reason)).post("/api/v1/requests/" + id + "/deny");
    }
}
