// lens4j's jshell start-up (./lens4j shell), run after jshell's DEFAULT imports: the lens4j packages a
// notebook session uses. The report's own package is left out: its DirectLogitAttribution and
// CompositionScores would clash with analysis's.
import dev.lens4j.tensor.*;
import dev.lens4j.hooks.*;
import dev.lens4j.transformer.*;
import dev.lens4j.transformer.generation.*;
import dev.lens4j.transformer.loading.*;
import dev.lens4j.transformer.tokenizer.*;
import dev.lens4j.analysis.attribution.*;
import dev.lens4j.analysis.circuits.*;
import dev.lens4j.analysis.heads.*;
import dev.lens4j.analysis.interventions.*;
import dev.lens4j.analysis.prompt.*;
import dev.lens4j.report.view.*;
System.out.println("lens4j shell: try  var model = Models.fromPretrained(\"induction-2l\");  (/help for jshell, /exit to leave)");
