package dev.lens4j.report;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.ParameterCount;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link ReportData} as JSON: the data the HTML report embeds and its scripts read, and a file format
 * a report can be re-rendered from.
 *
 * <p>Numbers are written at float precision (the shortest decimal that reads back as the same
 * {@code float}), attention weights rounded to {@value #PATTERN_DECIMALS} decimals, which keeps a page
 * with many heads small. Non-finite numbers are written as {@code null} and read back as NaN.
 *
 * <pre>{@code
 * String json = ReportJson.write(data);
 * ReportData back = ReportJson.read(json);   // equal to data up to float precision
 * }</pre>
 */
public final class ReportJson {

    /** Format version written as {@code "schema"}. */
    public static final int SCHEMA = 2;

    /** Decimals kept of each attention weight. */
    public static final int PATTERN_DECIMALS = 4;

    private ReportJson() {}

    /**
     * Writes report data as JSON.
     *
     * @param data the report data
     * @return compact JSON
     */
    public static String write(ReportData data) {
        return Json.write(toMap(data));
    }

    /**
     * Converts report data to a JSON tree.
     *
     * @param data the report data
     * @return the JSON tree {@link #write} writes (maps, lists, strings, numbers)
     */
    public static Map<String, Object> toMap(ReportData data) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schema", SCHEMA);
        m.put("title", data.title());
        ModelSummary s = data.model();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("name", s.name());
        model.put("tokenizer", s.tokenizer());
        model.put("vocabSize", s.vocabSize());
        model.put("nLayers", s.nLayers());
        model.put("nHeads", s.nHeads());
        model.put("dModel", s.dModel());
        model.put("dHead", s.dHead());
        model.put("parameterCount", s.parameters().count());
        model.put("unembedTied", s.parameters().unembedTied());
        model.put("attentionOnly", s.attentionOnly());
        m.put("model", model);
        if (data.loss() != null) {
            LossByPosition l = data.loss();
            Map<String, Object> loss = new LinkedHashMap<>();
            loss.put("meanLoss", vector(l.meanLoss()));
            loss.put("firstStart", l.firstStart());
            loss.put("repeatedStart", l.repeatedStart());
            loss.put("firstHalfMean", num(l.firstHalfMean()));
            loss.put("repeatedHalfMean", num(l.repeatedHalfMean()));
            loss.put("lnVocab", num(l.lnVocab()));
            loss.put("sequences", l.sequences());
            m.put("loss", loss);
        }
        if (data.attention() != null) {
            AttentionPatterns a = data.attention();
            Map<String, Object> att = new LinkedHashMap<>();
            att.put("description", a.description());
            att.put("tokens", a.tokens());
            List<Object> heads = new ArrayList<>();
            for (AttentionPatterns.HeadPattern hp : a.heads()) {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("head", hp.head().label());
                h.put("layer", hp.head().layer());
                h.put("index", hp.head().head());
                List<Object> rows = new ArrayList<>(hp.size());
                for (double[] row : hp.pattern()) {
                    List<Object> r = new ArrayList<>(row.length);
                    for (double w : row) {
                        r.add(weight(w));
                    }
                    rows.add(r);
                }
                h.put("pattern", rows);
                heads.add(h);
            }
            att.put("heads", heads);
            m.put("attention", att);
        }
        if (data.headScores() != null) {
            HeadDetectorScores d = data.headScores();
            Map<String, Object> hs = new LinkedHashMap<>();
            hs.put("previousToken", matrix(d.previousToken()));
            hs.put("duplicateToken", matrix(d.duplicateToken()));
            hs.put("induction", matrix(d.induction()));
            Map<String, Object> tl = new LinkedHashMap<>();
            tl.put("previousToken", matrix(d.detectHeadPreviousToken()));
            tl.put("duplicateToken", matrix(d.detectHeadDuplicateToken()));
            tl.put("induction", matrix(d.detectHeadInduction()));
            hs.put("detectHead", tl);
            m.put("headScores", hs);
        }
        if (data.dla() != null) {
            Map<String, Object> dla = new LinkedHashMap<>();
            dla.put("metric", data.dla().metric());
            dla.put("values", labelled(data.dla().values()));
            m.put("dla", dla);
        }
        if (data.ablation() != null) {
            Map<String, Object> ab = new LinkedHashMap<>();
            ab.put("method", data.ablation().method());
            ab.put("baselineLoss", num(data.ablation().baselineLoss()));
            ab.put("lossChange", labelled(data.ablation().lossChange()));
            m.put("ablation", ab);
        }
        if (data.edgeAttribution() != null) {
            m.put("edgeAttribution", edgeAttribution(data.edgeAttribution()));
        }
        if (data.qkOv() != null) {
            QkOvAnalysis q = data.qkOv();
            Map<String, Object> qk = new LinkedHashMap<>();
            qk.put("copyingScore", matrix(q.copyingScore()));
            qk.put("previousTokenScore", q.previousTokenScore() == null ? null : matrix(q.previousTokenScore()));
            if (q.previousTokenScoreNote() != null) {
                qk.put("previousTokenScoreNote", q.previousTokenScoreNote());
            }
            List<Object> readouts = new ArrayList<>();
            for (QkOvAnalysis.OvReadout r : q.ovReadouts()) {
                Map<String, Object> ro = new LinkedHashMap<>();
                ro.put("head", r.head().label());
                ro.put("source", r.source());
                List<Object> top = new ArrayList<>();
                for (QkOvAnalysis.TokenScore t : r.top()) {
                    Map<String, Object> ts = new LinkedHashMap<>();
                    ts.put("token", t.token());
                    ts.put("value", num(t.value()));
                    top.add(ts);
                }
                ro.put("top", top);
                readouts.add(ro);
            }
            qk.put("ovReadouts", readouts);
            m.put("qkOv", qk);
        }
        if (data.composition() != null) {
            CompositionScores c = data.composition();
            Map<String, Object> comp = new LinkedHashMap<>();
            for (CompositionScores.Mode mode : CompositionScores.Mode.values()) {
                List<Object> t = new ArrayList<>();
                for (double[][][] a : c.scores(mode)) {
                    List<Object> ta = new ArrayList<>();
                    for (double[][] b : a) {
                        ta.add(matrix(b));
                    }
                    t.add(ta);
                }
                comp.put(mode.name().toLowerCase(java.util.Locale.ROOT), t);
            }
            comp.put("baseline", num(c.baseline()));
            if (c.caveat() != null) {
                comp.put("caveat", c.caveat());
            }
            m.put("composition", comp);
        }
        List<Object> claims = new ArrayList<>();
        for (Claim c : data.claims()) {
            Map<String, Object> cl = new LinkedHashMap<>();
            cl.put("statement", c.statement());
            cl.put("verdict", c.verdict().text());
            cl.put("numbers", c.numbers());
            cl.put("tier", c.tier().text());
            claims.add(cl);
        }
        m.put("claims", claims);
        return m;
    }

    /**
     * Reads report data written by {@link #write}.
     *
     * @param json the JSON text
     * @return the report data
     * @throws IllegalArgumentException if the JSON is malformed or lacks a required member
     */
    public static ReportData read(String json) {
        Map<String, Object> m = Json.parseObject(json);
        Object schema = m.get("schema");
        if (!(schema instanceof Number n) || n.intValue() != SCHEMA) {
            throw new IllegalArgumentException("report JSON has schema " + schema + ", expected " + SCHEMA);
        }
        Map<String, Object> mo = obj(m, "model");
        ModelSummary model = new ModelSummary(str(mo, "name"), str(mo, "tokenizer"), integer(mo, "vocabSize"),
                integer(mo, "nLayers"), integer(mo, "nHeads"), integer(mo, "dModel"), integer(mo, "dHead"),
                new ParameterCount(((Number) req(mo, "parameterCount")).longValue(), Boolean.TRUE.equals(mo.get("unembedTied"))),
                Boolean.TRUE.equals(mo.get("attentionOnly")));
        ReportData.Builder b = ReportData.builder(str(m, "title"), model);
        if (m.get("loss") != null) {
            Map<String, Object> l = obj(m, "loss");
            b.loss(new LossByPosition(vector(req(l, "meanLoss")), integer(l, "firstStart"), integer(l, "repeatedStart"), dbl(l, "firstHalfMean"),
                    dbl(l, "repeatedHalfMean"), dbl(l, "lnVocab"), integer(l, "sequences")));
        }
        if (m.get("attention") != null) {
            Map<String, Object> a = obj(m, "attention");
            List<AttentionPatterns.HeadPattern> heads = new ArrayList<>();
            for (Object h : list(a, "heads")) {
                Map<String, Object> hm = asObj(h, "attention head");
                heads.add(new AttentionPatterns.HeadPattern(HeadId.parse(str(hm, "head")), matrix(req(hm, "pattern"))));
            }
            List<String> tokens = new ArrayList<>();
            for (Object t : list(a, "tokens")) {
                tokens.add((String) t);
            }
            b.attention(new AttentionPatterns(str(a, "description"), tokens, heads));
        }
        if (m.get("headScores") != null) {
            Map<String, Object> h = obj(m, "headScores");
            Map<String, Object> tl = obj(h, "detectHead");
            b.headScores(new HeadDetectorScores(matrix(req(h, "previousToken")), matrix(req(h, "duplicateToken")),
                    matrix(req(h, "induction")), matrix(req(tl, "previousToken")), matrix(req(tl, "duplicateToken")),
                    matrix(req(tl, "induction"))));
        }
        if (m.get("dla") != null) {
            Map<String, Object> d = obj(m, "dla");
            b.dla(new DirectLogitAttribution(str(d, "metric"), readLabelled(list(d, "values"))));
        }
        if (m.get("ablation") != null) {
            Map<String, Object> d = obj(m, "ablation");
            b.ablation(new HeadAblation(str(d, "method"), dbl(d, "baselineLoss"), readLabelled(list(d, "lossChange"))));
        }
        if (m.get("edgeAttribution") != null) {
            b.edgeAttribution(readEdgeAttribution(obj(m, "edgeAttribution")));
        }
        if (m.get("qkOv") != null) {
            Map<String, Object> q = obj(m, "qkOv");
            List<QkOvAnalysis.OvReadout> readouts = new ArrayList<>();
            for (Object r : list(q, "ovReadouts")) {
                Map<String, Object> rm = asObj(r, "OV readout");
                List<QkOvAnalysis.TokenScore> top = new ArrayList<>();
                for (Object t : list(rm, "top")) {
                    Map<String, Object> tm = asObj(t, "OV readout token");
                    top.add(new QkOvAnalysis.TokenScore(str(tm, "token"), dbl(tm, "value")));
                }
                readouts.add(new QkOvAnalysis.OvReadout(HeadId.parse(str(rm, "head")), str(rm, "source"), top));
            }
            Object positional = q.get("previousTokenScore");
            b.qkOv(new QkOvAnalysis(matrix(req(q, "copyingScore")), positional == null ? null : matrix(positional),
                    positional == null ? str(q, "previousTokenScoreNote") : null, readouts));
        }
        if (m.get("composition") != null) {
            Map<String, Object> c = obj(m, "composition");
            b.composition(new CompositionScores(tensor4(req(c, "q")), tensor4(req(c, "k")), tensor4(req(c, "v")),
                    dbl(c, "baseline"), c.get("caveat") != null ? str(c, "caveat") : null));
        }
        for (Object c : list(m, "claims")) {
            Map<String, Object> cm = asObj(c, "claim");
            b.claim(new Claim(str(cm, "statement"), Verdict.fromText(str(cm, "verdict")), str(cm, "numbers"),
                    EvidenceTier.fromText(str(cm, "tier"))));
        }
        return b.build();
    }

    private static Map<String, Object> edgeAttribution(EdgeAttributionGraph g) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("method", g.method());
        e.put("corruption", g.corruption());
        e.put("metric", g.metric());
        e.put("cleanMetric", num(g.cleanMetric()));
        e.put("corruptedMetric", num(g.corruptedMetric()));
        e.put("sources", g.sources());
        e.put("destinations", g.destinations());
        e.put("edgeCount", g.edgeCount());
        List<Object> edges = new ArrayList<>();
        for (EdgeAttributionGraph.Edge edge : g.edges()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("source", edge.source());
            x.put("destination", edge.destination());
            x.put("score", num(edge.score()));
            x.put("rank", edge.rank());
            edges.add(x);
        }
        e.put("edges", edges);
        e.put("route", g.route());
        List<Object> circuits = new ArrayList<>();
        for (EdgeAttributionGraph.CircuitResult c : g.circuits()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("topN", c.topN());
            x.put("edges", c.edges());
            x.put("nodes", c.nodes());
            x.put("metric", num(c.metric()));
            x.put("recovered", num(c.recovered()));
            circuits.add(x);
        }
        e.put("circuits", circuits);
        return e;
    }

    private static EdgeAttributionGraph readEdgeAttribution(Map<String, Object> e) {
        List<EdgeAttributionGraph.Edge> edges = new ArrayList<>();
        for (Object o : list(e, "edges")) {
            Map<String, Object> x = asObj(o, "edge");
            edges.add(new EdgeAttributionGraph.Edge(str(x, "source"), str(x, "destination"), dbl(x, "score"), integer(x, "rank")));
        }
        List<EdgeAttributionGraph.CircuitResult> circuits = new ArrayList<>();
        for (Object o : list(e, "circuits")) {
            Map<String, Object> x = asObj(o, "circuit");
            circuits.add(new EdgeAttributionGraph.CircuitResult(integer(x, "topN"), integer(x, "edges"), integer(x, "nodes"),
                    dbl(x, "metric"), dbl(x, "recovered")));
        }
        return new EdgeAttributionGraph(str(e, "method"), str(e, "corruption"), str(e, "metric"), dbl(e, "cleanMetric"),
                dbl(e, "corruptedMetric"), strings(e, "sources"), strings(e, "destinations"), integer(e, "edgeCount"), edges,
                strings(e, "route"), circuits);
    }

    // ---- writing helpers

    private static Object num(double v) {
        return Double.isFinite(v) ? (Object) (float) v : null;
    }

    private static Object weight(double w) {
        if (!Double.isFinite(w)) {
            return null;
        }
        double scale = Math.pow(10, PATTERN_DECIMALS);
        long r = Math.round(w * scale);
        return r == 0 ? (Object) 0L : (Object) (float) (r / scale);
    }

    private static List<Object> vector(double[] v) {
        List<Object> out = new ArrayList<>(v.length);
        for (double x : v) {
            out.add(num(x));
        }
        return out;
    }

    private static List<Object> matrix(double[][] m) {
        List<Object> out = new ArrayList<>(m.length);
        for (double[] row : m) {
            out.add(vector(row));
        }
        return out;
    }

    private static List<Object> labelled(List<LabelledValue> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (LabelledValue v : values) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("label", v.label());
            e.put("value", num(v.value()));
            out.add(e);
        }
        return out;
    }

    // ---- reading helpers

    private static Object req(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("report JSON lacks \"" + key + "\"");
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObj(Object v, String what) {
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("report JSON: " + what + " must be an object, found " + Json.typeName(v));
        }
        return (Map<String, Object>) v;
    }

    private static Map<String, Object> obj(Map<String, Object> m, String key) {
        return asObj(req(m, key), "\"" + key + "\"");
    }

    private static List<?> list(Map<String, Object> m, String key) {
        Object v = req(m, key);
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("report JSON: \"" + key + "\" must be an array, found " + Json.typeName(v));
        }
        return l;
    }

    private static List<String> strings(Map<String, Object> m, String key) {
        List<String> out = new ArrayList<>();
        for (Object o : list(m, key)) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException("report JSON: \"" + key + "\" must hold strings, found " + Json.typeName(o));
            }
            out.add(s);
        }
        return out;
    }

    private static String str(Map<String, Object> m, String key) {
        Object v = req(m, key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("report JSON: \"" + key + "\" must be a string, found " + Json.typeName(v));
        }
        return s;
    }

    private static int integer(Map<String, Object> m, String key) {
        Object v = req(m, key);
        if (!(v instanceof Long n) || n != n.intValue()) {
            throw new IllegalArgumentException("report JSON: \"" + key + "\" must be an int, found " + v);
        }
        return n.intValue();
    }

    private static double dbl(Map<String, Object> m, String key) {
        return number(m.get(key), key);
    }

    private static double number(Object v, String what) {
        if (v == null) {
            return Double.NaN;
        }
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("report JSON: " + what + " must be a number, found " + Json.typeName(v));
        }
        return n.doubleValue();
    }

    private static List<LabelledValue> readLabelled(List<?> l) {
        List<LabelledValue> out = new ArrayList<>(l.size());
        for (Object o : l) {
            Map<String, Object> e = asObj(o, "labelled value");
            out.add(new LabelledValue(str(e, "label"), dbl(e, "value")));
        }
        return out;
    }

    private static double[] vector(Object v) {
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("report JSON: expected an array of numbers, found " + Json.typeName(v));
        }
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(l.get(i), "array element " + i);
        }
        return out;
    }

    private static double[][] matrix(Object v) {
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("report JSON: expected an array of arrays, found " + Json.typeName(v));
        }
        double[][] out = new double[l.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = vector(l.get(i));
        }
        return out;
    }

    private static double[][][][] tensor4(Object v) {
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("report JSON: expected a rank-4 array, found " + Json.typeName(v));
        }
        double[][][][] out = new double[l.size()][][][];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof List<?> li)) {
                throw new IllegalArgumentException("report JSON: expected a rank-4 array");
            }
            out[i] = new double[li.size()][][];
            for (int j = 0; j < li.size(); j++) {
                out[i][j] = matrix(li.get(j));
            }
        }
        return out;
    }
}
