package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.awt.image.BufferedImage;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Downloading: signed expiring tokens, the SHA-256 header, the legacy path. */
class DownloadTests extends EmulatorTestSupport {

    @Test
    void downloadServesTheJpegWithItsShaAndExpiry() throws IOException {
        JsonNode generated = client.generate(client.verify(), "a lighthouse");

        HttpResponse<byte[]> image = client.getBytes(generated.get("imageDownloadUrl").asString());

        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        String imageId = generated.get("imageId").asString();
        assertThat(image.headers().firstValue("x-image-sha256")).hasValue(imageId);
        assertThat(PerchanceApi.sha256(image.body())).isEqualTo(imageId);
        Instant expiresAt = Instant.parse(image.headers().firstValue("x-expires-at").orElseThrow());
        assertThat(expiresAt).isBetween(Instant.now().plusSeconds(240), Instant.now().plusSeconds(301));
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(image.body()));
        assertThat(decoded.getWidth()).isEqualTo(768);
        assertThat(decoded.getHeight()).isEqualTo(768);
        assertThat(client.getBytes(generated.get("imageDownloadUrl").asString()).statusCode())
            .as("a token may be retried until it expires").isEqualTo(200);
    }

    @Test
    void expiredTokenIsForbiddenAndUnknownTokenIsNotFound() {
        client.config("{\"downloadTokenTtlSeconds\":0}");
        JsonNode generated = client.generate(client.verify(), "a lighthouse");

        assertThat(client.getBytes(generated.get("imageDownloadUrl").asString()).statusCode()).isEqualTo(403);
        assertThat(client.getBytes("/api/downloadTemporaryImageViaProxy?t=v1.AAAA.BBBB").statusCode()).isEqualTo(404);
        assertThat(client.getBytes("/api/downloadTemporaryImageViaProxy").statusCode()).isEqualTo(404);
    }

    @Test
    void expiryFollowsTheConfiguredTtl() {
        client.config("{\"downloadTokenTtlSeconds\":3600}");
        JsonNode generated = client.generate(client.verify(), "a lighthouse");

        Instant expiresAt = Instant.parse(client.getBytes(generated.get("imageDownloadUrl").asString()).headers()
            .firstValue("x-expires-at").orElseThrow());

        assertThat(Duration.between(Instant.now(), expiresAt)).isBetween(Duration.ofSeconds(3500), Duration.ofSeconds(3601));
    }

    @Test
    void legacyDownloadIsNotFoundUntilSwitchedOn() {
        JsonNode generated = client.generate(client.verify(), "an old path");
        String url = "/api/downloadTemporaryImage?imageId=" + generated.get("imageId").asString();

        assertThat(client.getBytes(url).statusCode()).isEqualTo(404);

        client.config("{\"legacyDownloadEnabled\":true}");
        HttpResponse<byte[]> image = client.getBytes(url);
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        assertThat(PerchanceApi.sha256(image.body())).isEqualTo(generated.get("imageId").asString());
        assertThat(client.getBytes("/api/downloadTemporaryImage?imageId=" + "0".repeat(64)).statusCode()).isEqualTo(404);
    }
}
