package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The placeholder JPEG: exact size, determinism, realistic weight. */
class ImageRendererTests {

    private final ImageRenderer renderer = new ImageRenderer();

    @ParameterizedTest
    @CsvSource({ "512,768", "768,768", "768,512", "512,512" })
    void rendersARealJpegOfExactlyTheRequestedSize(int width, int height) throws IOException {
        byte[] jpeg = renderer.render("a red fox in the snow", "", 7, width, height, 7);

        assertThat(jpeg).startsWith(0xFF, 0xD8, 0xFF);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
    }

    @Test
    void sameInputsGiveIdenticalBytesAndEachInputMatters() {
        byte[] base = renderer.render("a red fox", "blurry", 7, 768, 768, 7);

        assertThat(renderer.render("a red fox", "blurry", 7, 768, 768, 7)).isEqualTo(base);
        assertThat(renderer.render("a red fax", "blurry", 7, 768, 768, 7)).isNotEqualTo(base);
        assertThat(renderer.render("a red fox", "blurred", 7, 768, 768, 7)).isNotEqualTo(base);
        assertThat(renderer.render("a red fox", "blurry", 8, 768, 768, 7)).isNotEqualTo(base);
        assertThat(renderer.render("a red fox", "blurry", 7, 768, 768, 7.5)).isNotEqualTo(base);
    }

    @Test
    void weighsAboutWhatARealImageDoes() {
        byte[] jpeg = renderer.render("a red fox in the snow", "", 1234, 768, 768, 7);

        assertThat(jpeg.length).isBetween(60_000, 180_000);
    }

    @Test
    void longAndUnusualPromptsAreDrawnWithoutFailing() {
        String longPrompt = "a very long prompt ".repeat(80) + "Supercalifragilisticexpialidocious".repeat(10);

        assertThat(renderer.render(longPrompt, "", 1, 512, 512, 7)).isNotEmpty();
        assertThat(renderer.render("  \u732b \uD83D\uDC08 \"quotes\" <tags> & \n newlines  ", "", 1, 512, 512, 7)).isNotEmpty();
    }
}
