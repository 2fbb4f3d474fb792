package dev.portcullis.broker;

import dev.portcullis.local.LocalS3;
import java.util.HashMap;
import java.util.Map;

/** The test broker with its recordings in S3: this JVM's S3Proxy on loopback, bucket {@code recordings}. */
public class S3BrokerTestEnvironment extends BrokerTestEnvironment {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        LocalS3 s3 = LocalS3.shared();
        config.put("portcullis.recordings.s3.bucket", s3.createBucket("recordings"));
        config.put("portcullis.recordings.s3.endpoint", s3.endpoint());
        config.put("portcullis.recordings.s3.region", s3.region());
        config.put("portcullis.recordings.s3.prefix", "recordings/");
        config.put("portcullis.recordings.s3.path-style", "true");
        config.put("portcullis.recordings.s3.access-key-id", s3.accessKeyId());
        config.put("portcullis.recordings.s3.secret-access-key", s3.secretAccessKey());
        return config;
    }
}
