/**
 * Interpretability methods on a {@code HookedTransformer}: direct logit attribution, ablation and
 * activation patching, gradient attributions (attribution patching, EAP and EAP-IG edge scores, integrated
 * gradients), head detection, test_prompt, the English lesson's text statistics (n-grams, direct path,
 * skip-trigrams), and weight-level circuits (FactoredMatrix, QK/OV, composition scores).
 */
module dev.lens4j.analysis {
    requires transitive dev.lens4j.transformer;
    requires ejml.core;
    requires ejml.ddense;

    exports dev.lens4j.analysis.attribution;
    exports dev.lens4j.analysis.circuits;
    exports dev.lens4j.analysis.gradients;
    exports dev.lens4j.analysis.heads;
    exports dev.lens4j.analysis.interventions;
    exports dev.lens4j.analysis.prompt;
    exports dev.lens4j.analysis.text;
}
