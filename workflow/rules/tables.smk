# Tables as views over runs (CSV, Markdown, bar chart of ours against the paper, an MLflow run
# each), the verdicts on the paper's claims, and the report that gathers them.


rule table:
    input:
        table_inputs,
    output:
        csv=report(
            "results/{table}.csv",
            caption="../report/table.rst",
            category="Tables",
            labels={"table": "{table}", "kind": "CSV"},
        ),
        markdown="results/{table}.md",
        figure=report(
            "results/figures/{table}.png",
            caption="../report/figure.rst",
            category="Figures",
            labels={"table": "{table}", "kind": "bar chart"},
        ),
        tracking="results/{table}.mlflow.json",
    log:
        "logs/tables/{table}.log",
    params:
        profile=PROFILE_JSON,
    conda:
        ENVIRONMENT
    shell:
        "posec3d table {wildcards.table} --profile {params.profile:q} --csv {output.csv} "
        "--markdown {output.markdown} --figure {output.figure} --tracking {output.tracking} "
        "> {log} 2>&1"


rule claims:
    input:
        claims_inputs,
    output:
        csv=report(
            "results/claims.csv",
            caption="../report/claims.rst",
            category="Tables",
            labels={"table": "claims", "kind": "CSV"},
        ),
        markdown="results/claims.md",
        figure=report(
            "results/figures/claims.png",
            caption="../report/claims.rst",
            category="Figures",
            labels={"table": "claims", "kind": "forest plot"},
        ),
        tracking="results/claims.mlflow.json",
    log:
        "logs/tables/claims.log",
    params:
        profile=PROFILE_JSON,
    conda:
        ENVIRONMENT
    shell:
        "posec3d claims --profile {params.profile:q} --csv {output.csv} --markdown {output.markdown} "
        "--figure {output.figure} --tracking {output.tracking} > {log} 2>&1"


rule report:
    input:
        tables=expand("results/{table}.md", table=TABLES) + ["results/claims.md"],
        figures=expand("results/figures/{table}.png", table=TABLES) + ["results/figures/claims.png"],
    output:
        report("results/report.md", caption="../report/report.rst", category="Report"),
    log:
        "logs/report.log",
    params:
        profile=PROFILE_JSON,
    conda:
        ENVIRONMENT
    shell:
        "posec3d report {input.tables} --profile {params.profile:q} --out {output} > {log} 2>&1"
