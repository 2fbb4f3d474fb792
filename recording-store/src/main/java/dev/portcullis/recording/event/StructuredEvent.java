package dev.portcullis.recording.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Something a session did that is better kept as data than as terminal bytes: the events stream
 * ({@code events.jsonl}) of a recording. The {@code type} names are part of the on-disk format.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = SessionEvent.class, name = "session"),
    @JsonSubTypes.Type(value = ExecEvent.class, name = "exec"),
    @JsonSubTypes.Type(value = FileTransferEvent.class, name = "file-transfer"),
    @JsonSubTypes.Type(value = FileOperationEvent.class, name = "file-operation"),
    @JsonSubTypes.Type(value = QueryEvent.class, name = "query"),
    @JsonSubTypes.Type(value = ForwardEvent.class, name = "port-forward"),
    @JsonSubTypes.Type(value = WatchEvent.class, name = "watch"),
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface StructuredEvent
        permits SessionEvent, ExecEvent, FileTransferEvent, FileOperationEvent, QueryEvent, ForwardEvent, WatchEvent {}
