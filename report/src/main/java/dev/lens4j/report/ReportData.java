package dev.lens4j.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything an induction-circuit report shows, independent of how the numbers were computed.
 *
 * <p>Only the title and model summary are required; a missing section ({@code null}) is left out of
 * every rendering. Arrays are not copied: do not change them after building the report.
 *
 * <pre>{@code
 * ReportData data = ReportData.builder("Induction heads in induction-2l", summary)
 *         .loss(LossByPosition.of(meanLoss, 20, summary.vocabSize(), 32))
 *         .attention(new AttentionPatterns("repeated random tokens", strTokens, patterns))
 *         .headScores(new HeadDetectorScores(prev, dup, induction))
 *         .claim(new Claim("L1H2 is an induction head", Verdict.SUPPORTED, "induction score 0.91", EvidenceTier.CLUE))
 *         .build();
 * ReportWriter.writeAll(data, Path.of("report"));   // report.html and PNGs
 * }</pre>
 *
 * @param title the report's title
 * @param model the model summary
 * @param loss loss by position on repeated random tokens, or null
 * @param attention attention patterns of one sequence, or null
 * @param headScores head-detector scores, or null
 * @param dla direct logit attribution, or null
 * @param ablation head ablation, or null
 * @param edgeAttribution EAP-IG edge scores over the model's graph and circuit faithfulness, or null
 * @param qkOv QK and OV readouts, or null
 * @param composition composition scores, or null
 * @param claims the claims and their verdicts (may be empty)
 */
public record ReportData(String title, ModelSummary model, LossByPosition loss, AttentionPatterns attention,
                         HeadDetectorScores headScores, DirectLogitAttribution dla, HeadAblation ablation,
                         EdgeAttributionGraph edgeAttribution, QkOvAnalysis qkOv, CompositionScores composition, List<Claim> claims) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if a section's [n_layers, n_heads] shape or a head index does
     *                                  not match the model summary
     */
    public ReportData {
        Checks.notNull("report title", title);
        Checks.notNull("model summary", model);
        claims = claims == null ? List.of() : List.copyOf(claims);
        int layers = model.nLayers();
        int heads = model.nHeads();
        if (attention != null) {
            for (AttentionPatterns.HeadPattern hp : attention.heads()) {
                checkHead("attention pattern", hp.head(), layers, heads);
            }
        }
        if (headScores != null) {
            Checks.matrix("previous-token scores", headScores.previousToken(), layers, heads);
        }
        if (qkOv != null) {
            Checks.matrix("copying scores", qkOv.copyingScore(), layers, heads);
            for (QkOvAnalysis.OvReadout r : qkOv.ovReadouts()) {
                checkHead("OV readout", r.head(), layers, heads);
            }
        }
        if (composition != null && (composition.layers() != layers || composition.heads() != heads)) {
            throw new IllegalArgumentException("composition scores are [" + composition.layers() + ", " + composition.heads()
                    + ", " + composition.layers() + ", " + composition.heads() + "] but the model has " + modelShape(layers, heads));
        }
    }

    private static void checkHead(String what, HeadId head, int layers, int heads) {
        if (head.layer() >= layers || head.head() >= heads) {
            throw new IllegalArgumentException(what + " names head " + head + " but the model has " + modelShape(layers, heads));
        }
    }

    private static String modelShape(int layers, int heads) {
        return Plural.of(layers, "layer") + " of " + Plural.of(heads, "head");
    }

    /**
     * Starts a report.
     *
     * @param title the report's title
     * @param model the model summary
     * @return a builder
     */
    public static Builder builder(String title, ModelSummary model) {
        return new Builder(title, model);
    }

    /** Collects the sections of a report; every section is optional. */
    public static final class Builder {
        private final String title;
        private final ModelSummary model;
        private LossByPosition loss;
        private AttentionPatterns attention;
        private HeadDetectorScores headScores;
        private DirectLogitAttribution dla;
        private HeadAblation ablation;
        private EdgeAttributionGraph edgeAttribution;
        private QkOvAnalysis qkOv;
        private CompositionScores composition;
        private final List<Claim> claims = new ArrayList<>();

        private Builder(String title, ModelSummary model) {
            this.title = title;
            this.model = model;
        }

        /**
         * Sets the loss by position.
         *
         * @param v loss by position
         * @return this builder
         */
        public Builder loss(LossByPosition v) {
            loss = v;
            return this;
        }

        /**
         * Sets the attention patterns.
         *
         * @param v attention patterns
         * @return this builder
         */
        public Builder attention(AttentionPatterns v) {
            attention = v;
            return this;
        }

        /**
         * Sets the head-detector scores.
         *
         * @param v head-detector scores
         * @return this builder
         */
        public Builder headScores(HeadDetectorScores v) {
            headScores = v;
            return this;
        }

        /**
         * Sets the direct logit attribution.
         *
         * @param v direct logit attribution
         * @return this builder
         */
        public Builder dla(DirectLogitAttribution v) {
            dla = v;
            return this;
        }

        /**
         * Sets the head ablation.
         *
         * @param v head ablation
         * @return this builder
         */
        public Builder ablation(HeadAblation v) {
            ablation = v;
            return this;
        }

        /**
         * Sets the edge attribution.
         *
         * @param v EAP-IG edge scores and circuit faithfulness
         * @return this builder
         */
        public Builder edgeAttribution(EdgeAttributionGraph v) {
            edgeAttribution = v;
            return this;
        }

        /**
         * Sets the QK and OV readouts.
         *
         * @param v QK and OV readouts
         * @return this builder
         */
        public Builder qkOv(QkOvAnalysis v) {
            qkOv = v;
            return this;
        }

        /**
         * Sets the composition scores.
         *
         * @param v composition scores
         * @return this builder
         */
        public Builder composition(CompositionScores v) {
            composition = v;
            return this;
        }

        /**
         * Adds a claim.
         *
         * @param v a claim, appended after earlier ones
         * @return this builder
         */
        public Builder claim(Claim v) {
            claims.add(v);
            return this;
        }

        /**
         * Adds claims.
         *
         * @param v claims, appended after earlier ones
         * @return this builder
         */
        public Builder claims(List<Claim> v) {
            claims.addAll(v);
            return this;
        }

        /**
         * Builds the report data.
         *
         * @return the report data
         * @throws IllegalArgumentException if the sections do not fit the model summary
         */
        public ReportData build() {
            return new ReportData(title, model, loss, attention, headScores, dla, ablation, edgeAttribution, qkOv, composition, claims);
        }
    }
}
