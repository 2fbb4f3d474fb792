package dev.portcullis.broker;

import static io.restassured.RestAssured.given;

import dev.portcullis.local.LocalKeycloak;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Calls the broker as a demo user, with a real token from the real Keycloak. */
public final class Api {

    private record CachedToken(String value, long fetchedAt) {}

    private static final Map<String, CachedToken> TOKENS = new ConcurrentHashMap<>();
    /** Key of the bastion's token in TOKENS; no Keycloak username has a space. */
    private static final String BASTION = "bastion client";

    private Api() {}

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

    /** The bastion service client, with a client-credentials token. */
    public static RequestSpecification asBastion() {
        CachedToken cached = TOKENS.get(BASTION);
        if (cached == null || System.currentTimeMillis() - cached.fetchedAt() > 60_000) {
            LocalKeycloak kc = LocalKeycloak.shared();
            cached = new CachedToken(
                    kc.clientCredentialsToken(kc.bastionClientId(), kc.bastionClientSecret()),
                    System.currentTimeMillis());
            TOKENS.put(BASTION, cached);
        }
        return given().auth().oauth2(cached.value()).contentType(ContentType.JSON);
    }

    /** A new member of engineers (demo password), so a test's grants are the only ones its user holds. */
    public static String newEngineer(String prefix) {
        String name = prefix + System.nanoTime() % 1_000_000;
        LocalKeycloak.shared().createUser(name, LocalKeycloak.shared().demoPassword(), "engineers");
        return name;
    }

    /** {@code username} asks for ubuntu on prod-web-1 and bob and carol approve; returns the active grant's id. */
    public static String activeWebGrant(String username) {
        String id = as(username)
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        60,
                        "reason",
                        "INC-1234 disk full on prod-web-1",
                        "ticket",
                        "INC-1234"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        approve("bob", id).then().statusCode(200);
        approve("carol", id).then().statusCode(200).body("state", org.hamcrest.Matchers.equalTo("ACTIVE"));
        return id;
    }

    public static RequestSpecification anonymous() {
        return given().contentType(ContentType.JSON);
    }

    /** Alice asks for ubuntu on prod-web-1; returns the new request's id. */
    public static String aliceRequestsWeb() {
        return as("alice")
                .body(Map.of(
                        "target",
                        "prod-web-1",
                        "login",
                        "ubuntu",
                        "durationMinutes",
                        60,
                        "reason",
                        "INC-1234 disk full on prod-web-1",
                        "ticket",
                        "INC-1234"))
                .post("/api/v1/requests")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
    }

    public static Response approve(String username, String id) {
        return as(username).body(Map.of("comment", "ok")).post("/api/v1/requests/" + id + "/approve");
    }

    public static Response deny(String username, String id, String reason) {
        return as(username).body(Map.of("reason", reason)).post("/api/v1/requests/" + id + "/deny");
    }
}
