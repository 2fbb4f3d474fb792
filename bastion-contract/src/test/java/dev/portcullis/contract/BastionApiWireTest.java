package dev.portcullis.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.portcullis.workflow.port.GrantAuthority;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The records write and read the JSON the bastion and the broker exchanged before they shared them. */
@Tag("unit")
class BastionApiWireTest {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final UUID ID = UUID.fromString("6f1c2f8e-1b7a-4a57-9d7e-0c3f1d2e4a5b");

    @Test
    void anAskWithoutAnAccountSendsNoAccountField() throws Exception {
        var ask = new GrantAuthority.Ask("alice", "prod-web-1", "ubuntu", GrantAuthority.Use.SHELL);
        assertThat(JSON.writeValueAsString(BastionApi.AuthorizeRequest.of(ask)))
                .isEqualTo("{\"username\":\"alice\",\"target\":\"prod-web-1\",\"login\":\"ubuntu\",\"use\":\"SHELL\"}");
    }

    @Test
    void anAllowedAnswerBecomesTheGrantWithItsOptions() throws Exception {
        String answer = "{\"allowed\":true,\"grant\":{\"requestId\":\"" + ID + "\",\"holder\":\"alice\","
                + "\"target\":{\"name\":\"db-1\",\"kind\":\"POSTGRES\",\"host\":\"127.0.0.1\",\"port\":5432,"
                + "\"database\":\"app\"},\"login\":\"app_ro\",\"access\":\"READ\","
                + "\"endsAt\":\"2026-12-07T22:00:00Z\",\"session\":{\"portForwarding\":false,"
                + "\"agentForwarding\":true,\"recordInput\":false,\"recordQueryParameters\":true}},\"later\":1}";
        var decision = JSON.readValue(answer, BastionApi.AuthorizeAnswer.class).decision();
        assertThat(decision).isInstanceOf(GrantAuthority.Allowed.class);
        var grant = ((GrantAuthority.Allowed) decision).grant();
        assertThat(grant.requestId()).isEqualTo(ID);
        assertThat(grant.target().database()).isEqualTo("app");
        assertThat(grant.target().port()).isEqualTo(5432);
        assertThat(grant.endsAt()).isEqualTo(Instant.parse("2026-12-07T22:00:00Z"));
        assertThat(grant.session().agentForwarding()).isTrue();
        assertThat(grant.session().recordInput()).isFalse();
        // and the broker writes the same grant back the same way
        assertThat(JSON.readTree(JSON.writeValueAsString(BastionApi.AuthorizeAnswer.of(decision)))
                        .get("grant"))
                .isEqualTo(JSON.readTree(answer).get("grant"));
    }

    @Test
    void absentSessionOptionsReadAsNoForwardingAndEverythingRecorded() throws Exception {
        var options = JSON.readValue("{}", BastionApi.SessionOptionsView.class).toOptions();
        assertThat(options.portForwarding()).isFalse();
        assertThat(options.agentForwarding()).isFalse();
        assertThat(options.recordInput()).isTrue();
        assertThat(options.recordQueryParameters()).isTrue();
    }

    @Test
    void aRefusalWithoutWordsIsStillARefusal() throws Exception {
        assertThat(JSON.readValue("{\"allowed\":false}", BastionApi.AuthorizeAnswer.class)
                        .decision())
                .isEqualTo(new GrantAuthority.Refused("refused", "refused by the broker"));
        assertThat(JSON.readValue("{}", BastionApi.AuthorizeAnswer.class).decision())
                .isInstanceOf(GrantAuthority.Refused.class);
    }

    @Test
    void anEntryWithoutDetailSendsNoDetailField() throws Exception {
        assertThat(JSON.writeValueAsString(new BastionApi.EntryBody(ID.toString(), 5L, "cmd", "ls", null)))
                .isEqualTo("{\"session\":\"" + ID + "\",\"offsetMicros\":5,\"kind\":\"cmd\",\"text\":\"ls\"}");
    }

    @Test
    void timesTravelAsIsoInstants() throws Exception {
        var ended = new BastionApi.SessionEnded(Instant.parse("2026-12-07T21:00:00.123456Z"), 1L, 2L, "CLOSED", null);
        assertThat(JSON.readTree(JSON.writeValueAsString(ended)).get("endedAt").asText())
                .isEqualTo("2026-12-07T21:00:00.123456Z");
    }

    @Test
    void aGrantStatusLeavesOutWhatItDoesNotKnow() throws Exception {
        var unknown = new BastionApi.GrantStatus(ID, false, "UNKNOWN", null, null, null, "no such grant");
        assertThat(JSON.writeValueAsString(new BastionApi.GrantStatusAnswer(List.of(unknown))))
                .isEqualTo("{\"grants\":[{\"requestId\":\"" + ID + "\",\"live\":false,\"state\":\"UNKNOWN\","
                        + "\"reason\":\"no such grant\"}]}");
    }
}
