package rendition

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
)

// MaxPixels bounds a picture's size, read from its header before it is decoded: a small file can
// declare a picture of gigabytes. An A4 page scanned at 600 DPI is about 35 million pixels.
const MaxPixels = 50_000_000

// jpegQuality keeps small print legible at a page's rendering resolution.
const jpegQuality = 85

// Image decodes a JPEG or PNG and encodes the picture again in the same format: only the pixels
// pass (no metadata, comments, colour profiles, trailing bytes or second format).
func Image(data []byte, contentType string) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || !matches(format, contentType) {
		return nil, Refusal("The picture cannot be read as a " + kind(contentType) + " image.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, Refusal("The picture is too large to show (more than 50 million pixels).")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, Refusal("The picture cannot be read as a " + kind(contentType) + " image: it is damaged.")
	}
	var out bytes.Buffer
	if format == "png" {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img)
	} else {
		err = jpeg.Encode(&out, img, &jpeg.Options{Quality: jpegQuality})
	}
	return out.Bytes(), err
}

func matches(format, contentType string) bool {
	return format == "png" && contentType == "image/png" || format == "jpeg" && contentType == "image/jpeg"
}

func kind(contentType string) string {
	if contentType == "image/png" {
		return "PNG"
	}
	return "JPEG"
}
