package dev.portcullis.broker.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** RFC 9457 problem details, with the stable {@code code} and the offending {@code field} as extensions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String code, String field) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String title, String code, String detail, String field) {
        return new Problem("urn:portcullis:problem:" + code, title, status, detail, code, field);
    }
}
